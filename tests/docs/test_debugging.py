"""docs/debugging.md"""

import logging

import pytest
import sentry_sdk
from django.core.exceptions import ImproperlyConfigured

from bahk.sentry import init_sentry
from payloads import trim
from snippets.debugging import bad_dsn, drop_broken_pipe, one_off_job, server_error

SDK_LOGGER = "sentry_sdk.errors"


def _sdk_messages(caplog):
    return [r.getMessage() for r in caplog.records if r.name == SDK_LOGGER]


def test_sentry_debug_variable_logs_what_the_sdk_sends(
    caplog, monkeypatch, clean_environ, sentry_endpoint
):
    caplog.set_level(logging.DEBUG, logger=SDK_LOGGER)
    clean_environ()
    monkeypatch.setenv("SENTRY_DEBUG", "1")
    assert init_sentry({"SENTRY_DSN": sentry_endpoint.dsn})

    sentry_sdk.capture_message("is anybody there?")
    sentry_sdk.flush()
    sentry_sdk.get_client().close()

    messages = _sdk_messages(caplog)
    (handler,) = logging.getLogger(SDK_LOGGER).handlers
    assert handler.formatter.format(caplog.records[0]).startswith(" [sentry] DEBUG: ")
    assert "Enabling integration django" in messages
    assert "Enabling integration celery" in messages
    assert any(
        m.startswith("Sending envelope [envelope with 1 items (error)] project:1 host:127.0.0.1")
        for m in messages
    )


def test_debug_output_shows_the_status_sentry_answered(caplog, sentry_endpoint):
    caplog.set_level(logging.DEBUG, logger=SDK_LOGGER)
    sentry_endpoint.behaviour = "error"
    assert init_sentry({"SENTRY_DSN": sentry_endpoint.dsn}, debug=True)

    sentry_sdk.capture_message("is anybody there?")
    sentry_sdk.flush()
    sentry_sdk.get_client().close()

    assert any(m.startswith("Unexpected status code: 500") for m in _sdk_messages(caplog))


def test_without_debug_the_sdk_says_nothing(caplog, sentry_init, recorder):
    caplog.set_level(logging.DEBUG, logger=SDK_LOGGER)
    sentry_init()

    sentry_sdk.capture_message("quiet")

    assert len(recorder.events()) == 1
    assert _sdk_messages(caplog) == []


def test_malformed_dsn_stops_startup_with_a_clear_message(recorder):
    with pytest.raises(ImproperlyConfigured) as failure:
        bad_dsn.start_with_incomplete_dsn()

    assert str(failure.value) == (
        "SENTRY_DSN is not a valid Sentry DSN (Missing public key). "
        "Expected the form https://<public_key>@<host>/<project_id>, "
        "as shown in your Sentry project's Client Keys (DSN) settings."
    )
    assert not sentry_sdk.get_client().is_active()
    assert recorder.envelopes == []


def test_before_send_returning_none_drops_the_event(sentry_init, recorder, caplog, assert_payload):
    caplog.set_level(logging.DEBUG, logger=SDK_LOGGER)
    sentry_init(debug=True, before_send=drop_broken_pipe.drop_broken_pipe)

    sentry_sdk.capture_exception(BrokenPipeError(32, "Broken pipe"))

    assert recorder.events() == []
    assert "before send dropped event" in _sdk_messages(caplog)
    assert_payload("debugging/drop_broken_pipe", {"events": recorder.events()})

    sentry_sdk.capture_exception(ZeroDivisionError("division by zero"))

    (event,) = recorder.events()  # every other error still arrives
    assert event["exception"]["values"][0]["type"] == "ZeroDivisionError"


def test_broken_pipe_is_an_event_without_a_hook(sentry_init, recorder):
    sentry_init(before_send=None)

    sentry_sdk.capture_exception(BrokenPipeError(32, "Broken pipe"))

    (event,) = recorder.events()
    assert event["exception"]["values"][0]["type"] == "BrokenPipeError"


@pytest.mark.django_db
def test_500_page_shows_the_event_id(sentry_init, recorder, wsgi, settings, assert_payload):
    settings.ROOT_URLCONF = server_error.__name__
    sentry_init()

    response = wsgi.get("/sentry-debug/")

    assert response.status == 500
    (event,) = recorder.events()
    assert response.json()["reference"] == event["event_id"]
    assert sentry_sdk.last_event_id() is None  # it belonged to the request's scope
    assert_payload(
        "debugging/server_error",
        {
            "response": response.json(),
            "event": trim(event, "event_id", "exception.values[].type", "transaction"),
        },
    )


def test_one_off_job_prints_the_event_id(sentry_init, recorder, tmp_path, capsys, assert_payload):
    sentry_init()

    assert one_off_job.main(tmp_path / "participants.csv") == 1

    (event,) = recorder.events()
    assert capsys.readouterr().out == f"Import failed. Sentry event: {event['event_id']}\n"
    assert_payload(
        "debugging/one_off_job",
        trim(event, "event_id", "exception.values[].type", "exception.values[].value"),
    )


def test_one_off_job_success_sends_nothing(sentry_init, recorder, tmp_path, capsys):
    sentry_init()
    participants = tmp_path / "participants.csv"
    participants.write_text("amina\nyusuf\n")

    assert one_off_job.main(participants) == 0

    assert capsys.readouterr().out == "Imported 2 participants.\n"
    assert recorder.events() == []


def test_flush_returns_once_the_event_is_sent(sentry_endpoint, tmp_path, capsys):
    assert init_sentry({"SENTRY_DSN": sentry_endpoint.dsn})

    one_off_job.main(tmp_path / "participants.csv")

    # No waiting here: flush() returned only after the HTTP request was answered.
    (event,) = sentry_endpoint.items("event")
    assert event["exception"]["values"][0]["type"] == "ImportFailed"
    sentry_sdk.get_client().close()
