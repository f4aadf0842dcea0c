"""Unfriendly input: random ids, paths, query strings, headers and methods through the real
WSGI application never get a 500, never send an error event, and a 404 or 405 sends neither
an event nor a transaction.

/sentry-debug/ raises on purpose and is left out.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from factories import create_fast

URL_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)

fast_ids = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=0, max_value=3).map(str),  # ids that exist
    URL_TEXT.map(lambda text: quote(text, safe="")),
)
map_paths = fast_ids.map(lambda fast_id: f"/api/fasts/{fast_id}/participants/map/")
unknown_paths = URL_TEXT.map(lambda text: "/" + quote(text, safe="/")).filter(
    lambda path: not path.startswith("/sentry-debug")
)
query_strings = st.one_of(
    st.lists(st.tuples(URL_TEXT, URL_TEXT), max_size=4).map(urlencode),
    URL_TEXT.map(lambda text: quote(text, safe="=&")),
)
headers = st.builds(
    lambda named, host: {**named, **({"Host": host} if host is not None else {})},
    st.dictionaries(
        keys=st.one_of(
            st.sampled_from(["Accept", "Accept-Language", "Cookie", "Content-Type", "User-Agent"]),
            st.from_regex(r"X-[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True),
        ),
        values=HEADER_VALUE,
        max_size=4,
    ),
    st.one_of(st.none(), st.none(), st.none(), HEADER_VALUE),  # a bogus Host, now and then
)
methods = st.sampled_from(
    ["GET", "HEAD", "OPTIONS", "TRACE", "POST", "PUT", "PATCH", "DELETE", "PROPFIND", "BREW"]
)

# The fixtures are set up once for all examples of a test; that is safe because each example
# empties the recorder first, every request runs in its own Sentry isolation scope, and the
# requests only read the database (the cache may fill, which is what production does too).
SHARED_FIXTURES = settings(
    max_examples=75,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def fasts(db):
    for fast_id, city in ((1, "Oslo"), (2, "Lyon")):
        create_fast(fast_id, [(city, 1, 2)], name=f"Fast {fast_id}")


@pytest.fixture
def traced_app(sentry_init, redis_url):
    sentry_init(traces_sample_rate=1.0)


def check_request(wsgi, recorder, method, path, query, request_headers):
    recorder.clear()
    url = f"{path}?{query}" if query else path

    response = wsgi.request(method, url, headers=request_headers)
    event(f"{method if method in ('GET', 'TRACE', 'BREW') else 'other'} -> {response.status}")

    assert response.status < 500, f"{method} {url} -> {response.status}"
    assert recorder.events() == [], f"{method} {url} sent an error event"
    if response.status in (404, 405):
        assert recorder.transactions() == [], f"{method} {url} -> {response.status} was sent"
    return response


@pytest.mark.django_db
@SHARED_FIXTURES
@given(path=map_paths, query=query_strings, request_headers=headers, method=methods)
@example(path="/api/fasts/1/participants/map/", query="", request_headers={}, method="GET")
@example(path="/api/fasts/1/participants/map/", query="", request_headers={}, method="TRACE")
@example(path="/api/fasts/9/participants/map/", query="", request_headers={}, method="GET")
def test_participants_map_never_fails(
    traced_app, recorder, wsgi, fasts, path, query, request_headers, method
):
    response = check_request(wsgi, recorder, method, path, query, request_headers)
    if response.status == 200 and method == "GET":
        (transaction,) = recorder.transactions()  # the filter lets the others through
        assert transaction["transaction"] == "/api/fasts/{fast_id}/participants/map/"


@pytest.mark.django_db
@SHARED_FIXTURES
@given(path=unknown_paths, query=query_strings, request_headers=headers, method=methods)
def test_unknown_paths_are_404_and_send_nothing(
    traced_app, recorder, wsgi, path, query, request_headers, method
):
    response = check_request(wsgi, recorder, method, path, query, request_headers)
    if not path.startswith("/admin/"):
        assert response.status in (400, 404), path  # 400: a Host not in ALLOWED_HOSTS
