"""docs/verify.md"""

import pytest

from harness.payload_files import trim


# --8<-- [start:sentry-debug]
@pytest.mark.django_db
def test_sentry_debug_sends_unhandled_error_and_transaction(
    sentry_init, recorder, wsgi, assert_payload
):
    sentry_init(traces_sample_rate=1.0)

    response = wsgi.get("/sentry-debug/")

    assert response.status == 500
    (event,) = recorder.events()
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "ZeroDivisionError"
    assert exception["mechanism"]["handled"] is False
    assert event["transaction"] == "/sentry-debug/"
    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == "/sentry-debug/"
    assert transaction["contexts"]["trace"]["op"] == "http.server"
    assert transaction["contexts"]["trace"]["status"] == "internal_error"
    assert transaction["contexts"]["trace"]["trace_id"] == event["contexts"]["trace"]["trace_id"]
    assert_payload(
        "verify/sentry_debug",
        {
            "error": trim(
                event,
                "level",
                "environment",
                "transaction",
                "exception.values[].type",
                "exception.values[].value",
                "exception.values[].mechanism",
                "request.method",
                "request.url",
            ),
            "transaction": trim(
                transaction,
                "transaction",
                "contexts.trace.op",
                "contexts.trace.status",
                "contexts.response.status_code",
            ),
        },
    )


# --8<-- [end:sentry-debug]
