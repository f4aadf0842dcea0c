"""docs/errors.md"""

import logging
import re
from pathlib import Path

import pytest
import sentry_sdk
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.logging import _IGNORED_LOGGERS

from harness.factories import create_fast
from harness.fields import EXCEPTION
from harness.payload_files import trim
from snippets.errors import (
    capture_and_reraise,
    capture_exception,
    client_errors,
    logging_events,
    timezone_middleware,
    unhandled_view_error,
)

PAGE = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


TRANSACTION_OUTCOME = ("transaction", "contexts.trace.status", "contexts.response.status_code")
LOG_EVENT = (
    "level",
    "logger",
    "logentry",
    "breadcrumbs.values[].category",
    "breadcrumbs.values[].level",
    "breadcrumbs.values[].message",
)


@pytest.fixture
def serve(sentry_init, settings, wsgi):
    """A snippet's URLconf served by the real WSGI application, every request traced."""

    def serve_urlconf(urlconf_module):
        settings.ROOT_URLCONF = urlconf_module.__name__
        sentry_init(traces_sample_rate=1.0)
        return wsgi

    return serve_urlconf


def test_capture_exception_sends_handled_error(sentry_init, recorder, assert_payload):
    sentry_init()

    assert capture_exception.locate_participant("Atlantis") is None

    (event,) = recorder.events()
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "GeocodingError"
    assert exception["value"] == "No coordinates found for 'Atlantis'"
    assert exception["mechanism"]["handled"] is True
    assert event["level"] == "error"
    assert event["environment"] == "test"
    assert_payload(
        "errors/capture_exception",
        trim(
            event,
            "level",
            "environment",
            *EXCEPTION,
            "exception.values[].module",
        ),
    )


def test_an_error_caught_and_not_reported_sends_nothing(sentry_init, recorder):
    sentry_init()

    try:
        capture_exception.geocode("Atlantis")
    except capture_exception.GeocodingError:
        pass

    assert recorder.items() == []


@pytest.mark.django_db
def test_capture_then_reraise_sends_one_handled_event(serve, recorder, assert_payload):
    response = serve(capture_and_reraise).get("/fasts/404404/")

    assert response.status == 500  # the exception escaped the view
    # One event: capture_exception's. The Django integration's report of the same exception
    # object, unhandled, is dropped by the SDK's DedupeIntegration.
    (event,) = recorder.events()
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "Fast.DoesNotExist"
    assert exception["mechanism"] == {"type": "generic", "handled": True}
    assert event["transaction"] == "/fasts/{fast_id}/"
    assert event["request"]["url"] == "http://testserver/fasts/404404/"
    (transaction,) = recorder.transactions()
    assert transaction["contexts"]["trace"]["status"] == "internal_error"
    assert transaction["contexts"]["response"]["status_code"] == 500
    assert transaction["contexts"]["trace"]["trace_id"] == event["contexts"]["trace"]["trace_id"]
    assert_payload(
        "errors/capture_and_reraise",
        {
            "events": [
                trim(
                    event,
                    "transaction",
                    *EXCEPTION,
                )
            ],
            "transactions": [trim(transaction, *TRANSACTION_OUTCOME)],
        },
    )


@pytest.mark.django_db
def test_without_dedupe_a_reraised_error_is_reported_twice(sentry_init, recorder, wsgi, settings):
    settings.ROOT_URLCONF = capture_and_reraise.__name__
    # Only bahk's three integrations: no DedupeIntegration. (`disabled_integrations` cannot
    # switch off an integration that an earlier client in this process has set up.)
    sentry_init(default_integrations=False)
    assert sentry_sdk.get_client().get_integration(DedupeIntegration) is None

    assert wsgi.get("/fasts/404404/").status == 500

    assert [
        (e["exception"]["values"][0]["type"], e["exception"]["values"][0]["mechanism"])
        for e in recorder.events()
    ] == [
        ("Fast.DoesNotExist", {"type": "generic", "handled": True}),
        ("Fast.DoesNotExist", {"type": "django", "handled": False}),
    ]


@pytest.mark.django_db
def test_unhandled_view_error_is_reported_with_request_and_route(serve, recorder, assert_payload):
    response = serve(unhandled_view_error).get("/fasts/404404/?lang=en")

    assert response.status == 500
    (event,) = recorder.events()
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "Fast.DoesNotExist"
    assert exception["mechanism"] == {"type": "django", "handled": False}
    assert event["level"] == "error"
    assert event["transaction"] == "/fasts/{fast_id}/"
    assert event["request"]["method"] == "GET"
    assert event["request"]["url"] == "http://testserver/fasts/404404/"
    assert event["request"]["query_string"] == "lang=en"
    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == "/fasts/{fast_id}/"
    assert transaction["contexts"]["trace"]["trace_id"] == event["contexts"]["trace"]["trace_id"]
    assert_payload(
        "errors/unhandled_view_error",
        trim(
            event,
            "level",
            "transaction",
            *EXCEPTION,
            "request.method",
            "request.url",
            "request.query_string",
        ),
    )


@pytest.mark.django_db
def test_middleware_error_is_reported_with_the_requested_route(
    sentry_init, recorder, settings, assert_payload, wsgi
):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        f"{timezone_middleware.__name__}.VisitorTimezoneMiddleware",
    ]
    sentry_init(traces_sample_rate=1.0)

    response = wsgi.get("/api/fasts/7/participants/map/", headers={"X-Timezone": "Mars/Olympus"})

    assert response.status == 500
    (event,) = recorder.events()
    *_causes, exception = event["exception"]["values"]  # the last one is what was raised
    assert exception["type"] == "ZoneInfoNotFoundError"
    assert exception["mechanism"] == {"type": "django", "handled": False}
    assert event["transaction"] == "/api/fasts/{fast_id}/participants/map/"
    assert event["request"]["headers"]["X-Timezone"] == "Mars/Olympus"
    frames = exception["stacktrace"]["frames"]
    assert any(
        f["function"] == "__call__" and f["module"] == timezone_middleware.__name__ for f in frames
    )
    assert_payload(
        "errors/timezone_middleware",
        {
            **trim(event, "transaction", "request.url", "request.headers.X-Timezone"),
            # Only the exception raised: its causes depend on the machine's time zone data.
            "exception": trim(exception, "type", "value", "mechanism"),
        },
    )


@pytest.mark.django_db
def test_not_found_sends_no_event(serve, recorder):
    response = serve(client_errors).get("/fasts/404404/")

    assert response.status == 404
    assert recorder.events() == []


@pytest.mark.django_db
def test_permission_denied_sends_no_event_only_a_transaction(serve, recorder, assert_payload):
    response = serve(client_errors).get("/fasts/1/participants/export/")

    assert response.status == 403
    assert recorder.events() == []
    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == "/fasts/{fast_id}/participants/export/"
    assert transaction["contexts"]["trace"]["status"] == "permission_denied"
    assert transaction["contexts"]["response"]["status_code"] == 403
    assert_payload(
        "errors/client_errors",
        {
            "events": recorder.events(),
            "transactions": [trim(transaction, *TRANSACTION_OUTCOME)],
        },
    )


def test_logging_error_is_an_event_and_info_a_breadcrumb(sentry_init, recorder, assert_payload):
    sentry_init()

    assert logging_events.send_reminders(fast_id=7, participant_ids=[31]) == 1

    exception_event, error_event = recorder.events()
    # logger.exception: an event with the message and the exception being handled.
    assert exception_event["logger"] == logging_events.__name__
    assert exception_event["level"] == "error"
    assert exception_event["logentry"]["message"] == "Reminder for fast %s not sent"
    assert exception_event["logentry"]["params"] == [7]
    (exception,) = exception_event["exception"]["values"]
    assert exception["type"] == "MailerError"
    assert exception["mechanism"]["type"] == "logging"
    # logger.error: an event with the message, and no exception.
    assert error_event["logentry"]["formatted"] == "1 of 1 reminders failed for fast 7"
    assert "exception" not in error_event
    # logger.info: no event of its own, a breadcrumb on the events that follow.
    crumbs = error_event["breadcrumbs"]["values"]
    assert {
        "category": logging_events.__name__,
        "level": "info",
        "message": "Sending 1 reminders for fast 7",
    }.items() <= crumbs[0].items()
    # The logger.exception record is a breadcrumb too, besides its own event.
    assert [(c["level"], c["message"]) for c in crumbs[1:]] == [
        ("error", "Reminder for fast 7 not sent")
    ]
    assert_payload(
        "errors/logging_events",
        [
            trim(exception_event, *LOG_EVENT, *EXCEPTION),
            trim(error_event, *LOG_EVENT),
        ],
    )


def loggers_named_on_the_page() -> set[str]:
    """The logger names in the page's paragraph about ignored loggers."""
    (paragraph,) = [p for p in PAGE.read_text().split("\n\n") if "`django.request`" in p]
    return set(re.findall(r"`([a-z0-9_]+(?:\.[a-z0-9_]+)+)`", paragraph))


def test_the_page_names_every_logger_the_sdk_ignores(sentry_init):
    sentry_init()  # the integrations add their loggers to the list when they are set up

    assert loggers_named_on_the_page() == _IGNORED_LOGGERS


def test_ignored_loggers_send_no_event_and_no_breadcrumb(sentry_init, recorder):
    sentry_init()
    ignored = sorted(loggers_named_on_the_page())

    logging.getLogger("hub.reminders").warning("Mail server slow, retrying")
    for name in ignored:
        logging.getLogger(name).error("Logged on %s", name)
    logging.getLogger("hub.reminders").error("Reminders failed")

    # One event, from the ordinary logger; its breadcrumbs hold none of the ignored records.
    (event,) = recorder.events()
    assert event["logger"] == "hub.reminders"
    assert event["logentry"]["formatted"] == "Reminders failed"
    assert [(c["category"], c["message"]) for c in event["breadcrumbs"]["values"]] == [
        ("hub.reminders", "Mail server slow, retrying")
    ]


@pytest.mark.django_db
def test_known_fast_answers_200_and_sends_no_event(sentry_init, recorder, wsgi, settings):
    create_fast(None, [], name="Lent")  # another fast: each view must look up its own
    fast = create_fast(None, [], name="Ramadan")
    sentry_init(traces_sample_rate=1.0)

    for urlconf in (
        unhandled_view_error.__name__,
        client_errors.__name__,
        capture_and_reraise.__name__,
    ):
        settings.ROOT_URLCONF = urlconf
        response = wsgi.get(f"/fasts/{fast.pk}/")
        assert response.status == 200
        assert response.json() == {"id": fast.pk, "name": "Ramadan"}

    assert recorder.events() == []
    assert [t["contexts"]["response"]["status_code"] for t in recorder.transactions()] == [
        200,
        200,
        200,
    ]


@pytest.mark.django_db
def test_staff_export_answers_200_and_sends_no_event(
    sentry_init, recorder, wsgi, settings, django_user_model
):
    from django.test import Client

    settings.ROOT_URLCONF = client_errors.__name__
    staff = django_user_model.objects.create_user(username="organiser", is_staff=True)
    session = Client()
    session.force_login(staff)  # only to create a real session; the request goes through WSGI
    cookie = session.cookies[settings.SESSION_COOKIE_NAME].value
    sentry_init()

    response = wsgi.get(
        "/fasts/1/participants/export/",
        headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"},
    )

    assert response.status == 200
    assert response.json() == {"participants": []}
    assert recorder.events() == []


@pytest.mark.django_db
def test_known_timezone_passes_through_the_middleware(sentry_init, recorder, settings, wsgi):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        f"{timezone_middleware.__name__}.VisitorTimezoneMiddleware",
    ]
    sentry_init(traces_sample_rate=1.0)

    response = wsgi.get("/admin/login/", headers={"X-Timezone": "Asia/Tehran"})

    assert response.status == 200
    assert recorder.events() == []
    (transaction,) = recorder.transactions()
    assert transaction["contexts"]["response"]["status_code"] == 200
    assert wsgi.get("/admin/login/").status == 200  # no X-Timezone: UTC
