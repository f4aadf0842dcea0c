"""Unfriendly input: random ids, paths, query strings, headers and methods through the real
WSGI application never get a 500, never send an error event, and a 404 or 405 sends neither
an event nor a transaction. Requests over Django's limits (body size, number of fields, number
of files) and bogus Host headers are 400s whose transaction says why, again without an event.

/sentry-debug/ raises on purpose and is left out.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, unquote, urlencode

import pytest
from django.conf import settings as django_settings
from django.urls import is_valid_path
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from harness.factories import create_fast
from harness.payload_files import trim

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
    if response.status == 400:  # a Host not in ALLOWED_HOSTS (HEAD, OPTIONS: no transaction)
        for transaction in recorder.transactions():
            assert transaction["tags"]["rejected_request"] == "django.security.DisallowedHost"
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
@example(path="/health", query="", request_headers={}, method="GET")
@example(path="/admin", query="", request_headers={}, method="POST")
@example(path="/no-such-page/", query="", request_headers={}, method="GET")
def test_unknown_paths_are_404_and_send_nothing(
    traced_app, recorder, wsgi, path, query, request_headers, method
):
    response = check_request(wsgi, recorder, method, path, query, request_headers)
    route = unquote(path)
    if is_valid_path(route):  # a view's own path, /health/ or the admin's catch-all
        return
    # 400: a Host not in ALLOWED_HOSTS; 301: APPEND_SLASH, a view's path without its slash
    expected = {301, 400} if is_valid_path(route + "/") else {400, 404}
    assert response.status in expected, path


# Over Django's limits: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, more fields than
# DATA_UPLOAD_MAX_NUMBER_FIELDS (in a form or a query string), more files than
# DATA_UPLOAD_MAX_NUMBER_FILES. Sizes are drawn around each limit, on both sides of it.
LIMITS = {
    "body_bytes": ("DATA_UPLOAD_MAX_MEMORY_SIZE", "RequestDataTooBig"),
    "form_fields": ("DATA_UPLOAD_MAX_NUMBER_FIELDS", "TooManyFieldsSent"),
    "query_fields": ("DATA_UPLOAD_MAX_NUMBER_FIELDS", "TooManyFieldsSent"),
    "files": ("DATA_UPLOAD_MAX_NUMBER_FILES", "TooManyFilesSent"),
}
CSRF_SECRET = "c" * 32
# The CSRF check reads the form of a POST that carries a CSRF cookie, so any URL with a view
# will do; the admin login page reads the query string too.
LIMITED_PATHS = st.sampled_from(["/admin/login/", "/api/fasts/1/participants/map/"])


def over_the_limit_request(kind: str, size: int) -> tuple[str, str, bytes, str]:
    """(method, query, body, content type) of a request with `size` of `kind`."""
    if kind == "body_bytes":
        return "POST", "", b"note=" + b"x" * (size - 5), "application/x-www-form-urlencoded"
    fields = urlencode([(f"f{number}", "1") for number in range(size)])
    if kind == "form_fields":
        return "POST", "", fields.encode(), "application/x-www-form-urlencoded"
    if kind == "query_fields":
        return "GET", fields, b"", ""
    boundary = "bahk-test-boundary"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{number}"; '
        f'filename="f{number}.txt"\r\nContent-Type: text/plain\r\n\r\nx\r\n'
        for number in range(size)
    )
    body = f"{parts}--{boundary}--\r\n".encode()
    return "POST", "", body, f"multipart/form-data; boundary={boundary}"


@st.composite
def over_the_limit(draw):
    kind = draw(st.sampled_from(sorted(LIMITS)))
    limit = getattr(django_settings, LIMITS[kind][0])
    return kind, draw(st.integers(min_value=limit - 3, max_value=limit + 3))


@pytest.mark.django_db
@SHARED_FIXTURES
@given(path=LIMITED_PATHS, request=over_the_limit())
@example(path="/admin/login/", request=("body_bytes", 3_000_000))  # a 3 MB POST
@example(path="/admin/login/", request=("form_fields", 1001))
@example(path="/admin/login/", request=("query_fields", 1001))
@example(path="/admin/login/", request=("files", 101))
def test_requests_over_the_limits_are_tagged_400s_without_an_event(
    traced_app, recorder, wsgi, fasts, path, request
):
    recorder.clear()
    kind, size = request
    limit_setting, exception = LIMITS[kind]
    over = size > getattr(django_settings, limit_setting)
    method, query, body, content_type = over_the_limit_request(kind, size)
    headers = {"Cookie": f"csrftoken={CSRF_SECRET}"}

    response = wsgi.request(
        method, f"{path}?{query}", body=body, content_type=content_type, headers=headers
    )
    event(f"{kind} {'over' if over else 'within'} -> {response.status}")

    assert recorder.events() == [], f"{kind} {size} sent an error event"
    if over and not (kind == "query_fields" and path != "/admin/login/"):
        assert response.status == 400
        (transaction,) = recorder.transactions()
        assert transaction["tags"]["rejected_request"] == f"django.security.{exception}"
    else:  # 403 (no CSRF token in the form), 405, or the page itself
        assert response.status in (200, 403, 405)
        assert all("rejected_request" not in t["tags"] for t in recorder.transactions())


@pytest.mark.django_db
def test_a_3_mb_post_is_a_tagged_transaction(traced_app, recorder, wsgi, assert_payload):
    """The payload the real-world example page shows for a request Django rejects."""
    method, _, body, content_type = over_the_limit_request("body_bytes", 3_000_000)

    response = wsgi.request(
        method,
        "/admin/login/",
        body=body,
        content_type=content_type,
        headers={"Cookie": f"csrftoken={CSRF_SECRET}"},
    )

    assert response.status == 400
    assert recorder.events() == []
    (transaction,) = recorder.transactions()
    assert transaction["tags"]["rejected_request"] == "django.security.RequestDataTooBig"
    assert_payload(
        "real_world_example/rejected_request",
        trim(
            transaction,
            "transaction",
            "contexts.trace.status",
            "contexts.response",
            "tags",
            "request.method",
            "request.headers.Content-Length",
        ),
    )


def test_other_security_errors_are_still_error_events(traced_app, recorder):
    """Logged by Django when code passes hostile input on: a bug to fix, so an error event."""
    loggers = [
        f"django.security.{name}"
        for name in (
            "SuspiciousFileOperation",
            "DisallowedRedirect",
            "DisallowedModelAdminLookup",
            "SuspiciousMultipartForm",
        )
    ]
    for name in loggers:
        logging.getLogger(name).error("Refused by Django")

    assert [event["logger"] for event in recorder.events()] == loggers
