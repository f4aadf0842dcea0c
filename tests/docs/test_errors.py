"""docs/errors.md"""

import pytest

from payloads import trim
from snippets.errors import capture_exception


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
            "exception.values[].type",
            "exception.values[].value",
            "exception.values[].mechanism",
            "exception.values[].module",
        ),
    )


@pytest.mark.django_db
def test_sentry_debug_route_sends_error_and_transaction(sentry_init, recorder, wsgi):
    sentry_init(traces_sample_rate=1.0)

    response = wsgi.get("/sentry-debug/")

    assert response.status == 500
    (event,) = recorder.events()
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "ZeroDivisionError"
    assert exception["mechanism"] == {"type": "django", "handled": False}
    assert event["transaction"] == "/sentry-debug/"
    assert event["request"]["url"] == "http://testserver/sentry-debug/"
    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == "/sentry-debug/"
    assert transaction["contexts"]["trace"]["status"] == "internal_error"
    assert transaction["contexts"]["trace"]["trace_id"] == event["contexts"]["trace"]["trace_id"]
