"""docs/sensitive-data.md

The exhaustive proof, with a secret planted everywhere, is tests/app/test_planted_secrets.py;
these tests record the payloads the page shows.
"""

import linecache
from urllib.parse import urlencode

import pytest
import sentry_sdk
from django.contrib.auth import get_user_model
from django.test import Client
from sentry_sdk.consts import SPANTEMPLATE

from bahk.sentry import DATA_COLLECTION
from harness.environ import TEST_DSN
from harness.payload_files import trim
from snippets.sensitive_data import user_info

CSRF_SECRET = "c" * 32
SECRET_HEADERS = {
    "Authorization": "Bearer live-token",
    "X-Api-Key": "live-api-key",
    "X-Forwarded-For": "203.0.113.7",
    "Cookie": f"sessionid=live-session; csrftoken={CSRF_SECRET}",
    "User-Agent": "Mozilla/5.0",
}


@pytest.mark.django_db
def test_scrubbed_event(sentry_init, recorder, wsgi, assert_payload):
    sentry_init(traces_sample_rate=1.0)
    query = urlencode({"token": "live-reset-token", "email": "amina@example.org", "lang": "en"})
    form = {"csrfmiddlewaretoken": CSRF_SECRET, "email": "amina@example.org", "password": "pw"}

    response = wsgi.post(
        f"/sentry-debug/?{query}",
        body=urlencode(form).encode(),
        headers=SECRET_HEADERS,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status == 500
    (event,) = recorder.events()
    request = event["request"]
    for header in ("Authorization", "X-Api-Key", "X-Forwarded-For", "Cookie"):
        assert request["headers"][header] == "[Filtered]"
    assert request["headers"]["User-Agent"] == "Mozilla/5.0"
    assert request["query_string"] == "token=%5BFiltered%5D&email=%5BFiltered%5D&lang=en"
    assert "data" not in request and "cookies" not in request
    assert "user" not in event
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert frames and not any("vars" in frame for frame in frames)
    assert_source_context(frames)
    assert frames[-1]["context_line"].strip().startswith("division_by_zero = 1 / 0")
    (transaction,) = recorder.transactions()
    assert transaction["request"]["headers"] == request["headers"]
    assert_payload(
        "sensitive_data/scrubbed_event",
        trim(
            event,
            "exception.values[].type",
            "request.method",
            "request.url",
            "request.query_string",
            "request.headers",
        ),
    )


@pytest.mark.django_db
def test_bahks_terms_filter_client_addresses_proxies_and_their_users(sentry_init, recorder, wsgi):
    sentry_init()
    headers = {
        "X-Real-Ip": "203.0.113.8",  # -ip
        "X-Forwarded-Host": "bahk.example",  # forwarded
        "Via": "1.1 vegur",  # via
        "X-Remote-Addr": "203.0.113.9",  # remote-
        "X-Proxy-User": "amina",  # -user
        "Accept": "text/html",  # none of them
    }

    assert wsgi.get("/sentry-debug/", headers=headers).status == 500

    (event,) = recorder.events()
    sent = {name: event["request"]["headers"][name] for name in headers}
    assert sent == {**dict.fromkeys(list(headers)[:5], "[Filtered]"), "Accept": "text/html"}


@pytest.fixture
def signed_in_headers(transactional_db):
    amina = get_user_model().objects.create_user(
        id=7, username="amina", email="amina@example.org", password="not-used-here"
    )
    client = Client()
    client.force_login(amina)
    session_key = client.cookies["sessionid"].value
    return {**SECRET_HEADERS, "Cookie": f"sessionid={session_key}"}


@pytest.mark.django_db(transaction=True)
def test_user_info_sends_the_user_id_only(
    sentry_init, recorder, wsgi, signed_in_headers, assert_payload
):
    sentry_init(traces_sample_rate=1.0, data_collection=user_info.DATA_COLLECTION_WITH_USER)

    assert wsgi.get("/sentry-debug/", headers=signed_in_headers).status == 500

    (event,) = recorder.events()
    (transaction,) = recorder.transactions()
    assert event["user"] == transaction["user"] == {"id": "7"}  # no username, email or IP
    assert event["request"]["headers"]["Cookie"] == "[Filtered]"
    assert "vars" not in event["exception"]["values"][0]["stacktrace"]["frames"][-1]
    assert_payload("sensitive_data/user_info", trim(event, "user", "request.headers"))


def assert_source_context(frames: list[dict]) -> None:
    """Each frame: up to 5 lines before its line, the line, up to 5 lines after."""
    for frame in frames:
        source = [line.rstrip("\r\n") for line in linecache.getlines(frame["abs_path"])]
        line = frame["lineno"] - 1  # 0-based
        assert frame["pre_context"] == source[max(0, line - 5) : line]
        assert frame["context_line"] == source[line]
        assert frame["post_context"] == source[line + 1 : line + 6]
    assert any(len(frame["pre_context"]) == len(frame["post_context"]) == 5 for frame in frames)


def test_bahk_decides_every_category_the_sdk_knows(recorder):
    """A category that a new SDK release adds fails this test until bahk decides about it."""
    sentry_sdk.init(dsn=TEST_DSN, transport=recorder, data_collection=DATA_COLLECTION)

    # The SDK resolves data_collection into one entry per category it knows, filling in its
    # defaults for those left out; a misspelt key inside a category falls back the same way.
    resolved = dict(sentry_sdk.get_client().options["data_collection"])
    assert resolved.pop("provided_by_user") is True
    assert resolved == DATA_COLLECTION
    # As the page says: bahk has no GraphQL API yet, and sends nothing of one.
    assert resolved["graphql"] == {"document": False, "variables": False}


def test_older_frame_options_are_ignored_once_data_collection_is_set(sentry_init, recorder):
    sentry_init(include_local_variables=True, include_source_context=False)

    def charge_partner(partner_secret: str) -> None:
        raise RuntimeError("The partner refused the charge")

    try:
        charge_partner("live-partner-secret")
    except RuntimeError:
        sentry_sdk.capture_exception()

    (event,) = recorder.events()
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert not any("vars" in frame for frame in frames)  # stack_frame_variables decides
    assert_source_context(frames)  # frame_context_lines decides


@sentry_sdk.trace(template=SPANTEMPLATE.AI_TOOL)
def look_up_fast(question: str) -> str:
    """A tool an AI agent calls: the SDK records its input and output as gen_ai data."""
    return "Answer: the fast of amina@example.org ends on 19 March"


@pytest.mark.parametrize(
    ("data_collection", "sent_in_and_out"),
    [
        (DATA_COLLECTION, (False, False)),
        ({k: v for k, v in DATA_COLLECTION.items() if k != "gen_ai"}, (True, True)),
    ],
    ids=["bahk", "gen_ai-left-out"],
)
def test_gen_ai_inputs_and_outputs(sentry_init, recorder, data_collection, sent_in_and_out):
    sentry_init(traces_sample_rate=1.0, data_collection=data_collection)

    with sentry_sdk.start_transaction(name="assistant"):
        look_up_fast("Which fast is amina@example.org in?")

    sent = "\n".join(e.serialize().decode() for e in recorder.envelopes)
    assert "look_up_fast" in sent  # the tool's span is sent either way
    assert ("Which fast is" in sent, "ends on 19 March" in sent) == sent_in_and_out
