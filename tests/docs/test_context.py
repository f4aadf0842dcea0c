"""docs/context.md"""

from urllib.parse import urlencode

import pytest
import sentry_sdk
from django.conf import settings as django_settings
from django.test import Client

from harness.environ import TEST_DSN
from harness.fields import BREADCRUMBS
from harness.payload_files import trim
from harness.wsgi_client import HerokuRouter, WSGIClient
from snippets.context import enrich_events, task_user, user_info


def test_tags_context_and_breadcrumbs_reach_the_event(sentry_init, recorder, assert_payload):
    sentry_init()

    assert enrich_events.place_participant(7, "Atlantis", signup_source="newsletter") is None

    (event,) = recorder.events()
    assert event["tags"]["fast_id"] == 7
    assert event["tags"]["signup_source"] == "newsletter"
    assert event["tags"]["map_layer"] == "cities"
    assert event["contexts"]["signup"] == {"fast_id": 7, "city": "Atlantis"}
    (crumb,) = event["breadcrumbs"]["values"]
    assert crumb["category"] == "map"
    assert crumb["message"] == "Geocoding the participant's city"
    assert crumb["level"] == "info"
    assert crumb["data"] == {"city": "Atlantis"}
    assert event["exception"]["values"][0]["type"] == "GeocodingError"
    assert_payload(
        "context/enrich_events",
        trim(
            event,
            "tags",
            "contexts.signup",
            *BREADCRUMBS,
            "breadcrumbs.values[].level",
            "breadcrumbs.values[].data",
            "exception.values[].type",
        ),
    )


ROUTER = HerokuRouter()
CSRF_SECRET = "c" * 32
PASSWORD = "correct-horse-battery"
RESET_TOKEN = "r3set-t0ken-5ecret"
# The page the form was on: a password reset link, its token in the query.
REFERER = f"https://bahk.example/reset/?token={RESET_TOKEN}"


@pytest.fixture
def logged_in_cookie(django_user_model):
    """A real session for a real user, as django.contrib.auth.login creates it."""
    amina = django_user_model.objects.create_user(
        username="amina", email="amina@example.com", password="not-used-here"
    )
    session = Client()
    session.force_login(amina)
    cookie = session.cookies[django_settings.SESSION_COOKIE_NAME].value
    return amina, {"Cookie": f"{django_settings.SESSION_COOKIE_NAME}={cookie}"}


@pytest.fixture
def routed():
    """The real WSGI application, with every request as Heroku's router delivers it."""
    return WSGIClient(router=ROUTER)


def post_a_password(client, cookie: str = "", referer: str | None = None):
    """A signed-in user's form, with a password and an analytics cookie, to the failing view."""
    headers = {"Cookie": f"{cookie}; csrftoken={CSRF_SECRET}; ajs_user_id=amina-42"}
    if referer:
        headers["Referer"] = referer
    response = client.post(
        "/sentry-debug/",
        body=urlencode({"csrfmiddlewaretoken": CSRF_SECRET, "password": PASSWORD}).encode(),
        headers=headers,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status == 500  # past the CSRF check, into the view


def sent(recorder) -> str:
    return "\n".join(e.serialize().decode() for e in recorder.envelopes)


@pytest.mark.django_db
def test_user_info_behind_the_router_sends_the_user_id_only(
    recorder, routed, logged_in_cookie, assert_payload
):
    amina, headers = logged_in_cookie
    assert user_info.init_sentry_with_user_info(
        {"SENTRY_DSN": TEST_DSN}, transport=recorder, traces_sample_rate=1.0
    )

    post_a_password(routed, headers["Cookie"], referer=REFERER)

    (event,) = recorder.events()
    (transaction,) = recorder.transactions()
    assert event["user"] == transaction["user"] == {"id": str(amina.pk)}
    for item in (event, transaction):
        assert item["request"]["env"] == {"SERVER_NAME": "testserver", "SERVER_PORT": "80"}
        assert item["request"]["headers"]["X-Forwarded-For"] == "[Filtered]"
        assert item["request"]["headers"]["Via"] == "[Filtered]"
        assert item["request"]["headers"]["Referer"] == "https://bahk.example/reset/"
        assert "data" not in item["request"] and "cookies" not in item["request"]
    assert not any("vars" in f for f in event["exception"]["values"][0]["stacktrace"]["frames"])
    secrets = (ROUTER.client_ip, ROUTER.router_ip, PASSWORD, "amina-42", "amina@example.com")
    for value in (*secrets, RESET_TOKEN):
        assert value not in sent(recorder)
    assert_payload(
        "context/user_info", trim(event, "transaction", "user", "request.env", "request.headers")
    )


@pytest.mark.django_db
def test_user_info_alone_sends_what_the_warning_lists(recorder, routed, logged_in_cookie):
    """The form the page warns against: every category it leaves out is collected."""
    amina, headers = logged_in_cookie
    sentry_sdk.init(dsn=TEST_DSN, transport=recorder, data_collection={"user_info": True})

    post_a_password(routed, headers["Cookie"])

    (event,) = recorder.events()
    assert event["user"] == {
        "id": str(amina.pk),
        "username": "amina",
        "email": "amina@example.com",
        "ip_address": ROUTER.client_ip,  # the first address in X-Forwarded-For
    }
    request = event["request"]
    assert request["env"]["REMOTE_ADDR"] == ROUTER.router_ip
    assert request["headers"]["X-Forwarded-For"] == ROUTER.client_ip
    assert request["data"]["password"] == PASSWORD
    assert request["cookies"]["ajs_user_id"] == "amina-42"
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert all("vars" in frame for frame in frames)
    assert "request" in frames[-1]["vars"]
    assert sentry_sdk.get_client().options["event_scrubber"] is None


@pytest.mark.django_db
def test_user_info_on_anonymous_request_behind_the_router_has_no_user_fields(recorder, routed):
    user_info.init_sentry_with_user_info({"SENTRY_DSN": TEST_DSN}, transport=recorder)

    routed.get("/sentry-debug/")

    (event,) = recorder.events()
    assert event["user"] == {}  # no id, and not the IP address the SDK adds
    assert ROUTER.client_ip not in sent(recorder)


@pytest.mark.django_db
def test_user_info_init_sends_to_the_dsn_it_is_given(sentry_endpoint, routed):
    # The SDK's own HTTP transport, to the DSN in the environment it is given.
    user_info.init_sentry_with_user_info({"SENTRY_DSN": sentry_endpoint.dsn})

    routed.get("/sentry-debug/")
    sentry_sdk.flush()

    (event,) = sentry_endpoint.items("event")
    assert event["user"] == {}
    sentry_sdk.get_client().close()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data_collection", "user_keys"),
    [
        (None, None),  # the option left out altogether: no user
        ({"user_info": False}, None),
        ({"cookies": {"mode": "off"}}, {"id", "username", "email", "ip_address"}),  # left out: on
        ({"user_info": True}, {"id", "username", "email", "ip_address"}),
    ],
    ids=["no-data_collection", "user_info-false", "user_info-left-out-of-the-dict", "true"],
)
def test_which_data_collection_sends_a_user(
    recorder, routed, logged_in_cookie, data_collection, user_keys
):
    _amina, headers = logged_in_cookie
    options = {} if data_collection is None else {"data_collection": data_collection}
    sentry_sdk.init(dsn=TEST_DSN, transport=recorder, traces_sample_rate=1.0, **options)

    routed.get("/sentry-debug/", headers=headers)

    (event,) = recorder.events()
    (transaction,) = recorder.transactions()
    for item in (event, transaction):
        assert (set(item["user"]) if "user" in item else None) == user_keys


@pytest.mark.django_db
def test_bahk_default_sends_no_user(sentry_init, recorder, routed, logged_in_cookie):
    _amina, headers = logged_in_cookie
    sentry_init(traces_sample_rate=1.0)

    routed.get("/sentry-debug/", headers=headers)

    (event,) = recorder.events()
    (transaction,) = recorder.transactions()
    assert "user" not in event and "user" not in transaction
    assert "REMOTE_ADDR" not in event["request"]["env"]
    assert ROUTER.client_ip not in sent(recorder)


@pytest.mark.parametrize("value", [True, False])
def test_send_default_pii_is_deprecated_even_when_false(recorder, value):
    with pytest.warns(DeprecationWarning, match="send_default_pii option is deprecated"):
        sentry_sdk.init(dsn=TEST_DSN, transport=recorder, send_default_pii=value)

    sentry_sdk.capture_message("still sent")
    assert recorder.events()[0]["message"] == "still sent"


def _task_events(recorder):
    return [e for e in recorder.events() if e["transaction"] == task_user.export_participants.name]


def test_set_user_in_a_task_and_the_next_task_starts_fresh(
    sentry_init, recorder, celery_worker, assert_payload
):
    sentry_init()

    task_user.export_participants.delay(7, requested_by_id=42)
    recorder.wait_for(lambda r: len(_task_events(r)) == 1)
    task_user.export_participants.delay(8)
    recorder.wait_for(lambda r: len(_task_events(r)) == 2)

    on_demand, from_beat = _task_events(recorder)
    assert on_demand["user"] == {"id": "42"}
    assert on_demand["tags"]["fast_id"] == 7
    (exception,) = on_demand["exception"]["values"]
    assert exception["type"] == "ExportStorageError"
    assert exception["mechanism"] == {"type": "celery", "handled": False}
    # The second task runs in the same worker thread, in a fresh scope: no user from the first.
    assert "user" not in from_beat
    assert from_beat["tags"]["fast_id"] == 8
    assert_payload(
        "context/task_user",
        [
            trim(
                on_demand,
                "transaction",
                "user",
                "tags.fast_id",
                "exception.values[].type",
                "exception.values[].mechanism",
            ),
            trim(
                from_beat,
                "transaction",
                "tags.fast_id",
                "exception.values[].type",
                "exception.values[].mechanism",
            ),
        ],
    )
