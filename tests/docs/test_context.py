"""docs/context.md"""

import pytest
import sentry_sdk
from django.conf import settings as django_settings
from django.test import Client

from payloads import trim
from snippets.context import enrich_events, task_user, user_info

DSN = "https://public@sentry.example.invalid/1"


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
            "breadcrumbs.values[].category",
            "breadcrumbs.values[].message",
            "breadcrumbs.values[].level",
            "breadcrumbs.values[].data",
            "exception.values[].type",
        ),
    )


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


@pytest.mark.django_db
def test_user_info_on_attaches_the_logged_in_user(recorder, wsgi, logged_in_cookie, assert_payload):
    amina, headers = logged_in_cookie
    user_info.init_sentry_with_user_info(DSN, transport=recorder, traces_sample_rate=1.0)

    wsgi.get("/sentry-debug/", headers=headers)

    (event,) = recorder.events()
    assert event["user"] == {"id": str(amina.pk), "username": "amina", "email": "amina@example.com"}
    (transaction,) = recorder.transactions()
    assert transaction["user"] == event["user"]
    # A data_collection dict decides every other category too: what it leaves out is collected,
    # and the SDK's default EventScrubber is off.
    options = sentry_sdk.get_client().options
    assert "incoming_request" in options["data_collection"]["http_bodies"]
    assert options["event_scrubber"] is None
    assert_payload("context/user_info", trim(event, "transaction", "user"))


@pytest.mark.django_db
def test_user_info_on_anonymous_request_has_no_user_fields(recorder, wsgi):
    user_info.init_sentry_with_user_info(DSN, transport=recorder)

    wsgi.get("/sentry-debug/")

    (event,) = recorder.events()
    assert event["user"] == {}  # no id, username or email


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides", [{}, {"data_collection": {"user_info": False}}], ids=["app-default", "off"]
)
def test_app_default_or_user_info_off_sends_no_user(
    sentry_init, recorder, wsgi, logged_in_cookie, overrides
):
    _amina, headers = logged_in_cookie
    sentry_init(traces_sample_rate=1.0, **overrides)

    wsgi.get("/sentry-debug/", headers=headers)

    (event,) = recorder.events()
    assert "user" not in event
    (transaction,) = recorder.transactions()
    assert "user" not in transaction


def test_send_default_pii_is_deprecated(recorder):
    with pytest.warns(DeprecationWarning, match="send_default_pii option is deprecated"):
        sentry_sdk.init(dsn=DSN, transport=recorder, send_default_pii=True)

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
