"""docs/debugging.md"""

import logging
import time

import pytest
import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from sentry_sdk.crons import MonitorStatus, capture_checkin

import bahk.sentry
from bahk.sentry import init_sentry
from harness.payload_files import trim
from harness.sentry_http_endpoint import SentryHTTPEndpoint
from snippets.debugging import bad_dsn, drop_broken_pipe, one_off_job, server_error

SDK_LOGGER = "sentry_sdk.errors"


def _sdk_messages(caplog):
    return [r.getMessage() for r in caplog.records if r.name == SDK_LOGGER]


def _sdk_lines(caplog):
    """The SDK's log records as its debug handler writes them to standard error."""
    (handler,) = logging.getLogger(SDK_LOGGER).handlers
    return [handler.format(r) for r in caplog.records if r.name == SDK_LOGGER]


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

    lines = _sdk_lines(caplog)
    assert " [sentry] DEBUG: Enabling integration django" in lines
    assert " [sentry] DEBUG: Enabling integration celery" in lines
    sending = " [sentry] DEBUG: Sending envelope [envelope with 1 items (error)] project:1 "
    assert any(line.startswith(sending + "host:127.0.0.1") for line in lines)


def test_debug_output_shows_the_status_sentry_answered(caplog, sentry_endpoint):
    caplog.set_level(logging.DEBUG, logger=SDK_LOGGER)
    sentry_endpoint.behaviour = "error"
    assert init_sentry({"SENTRY_DSN": sentry_endpoint.dsn}, debug=True)

    sentry_sdk.capture_message("is anybody there?")
    sentry_sdk.flush()
    sentry_sdk.get_client().close()

    assert any(
        line.startswith(" [sentry] ERROR: Unexpected status code: 500 (body: ")
        for line in _sdk_lines(caplog)
    )


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


def test_before_send_returning_none_drops_the_event(sentry_endpoint, caplog, assert_payload):
    caplog.set_level(logging.DEBUG, logger=SDK_LOGGER)
    hook = drop_broken_pipe.drop_broken_pipe
    assert init_sentry({"SENTRY_DSN": sentry_endpoint.dsn}, debug=True, before_send=hook)

    sentry_sdk.capture_exception(BrokenPipeError(32, "Broken pipe"))
    sentry_sdk.flush()  # also sends the client report of what was dropped so far

    assert sentry_endpoint.items("event") == []
    assert " [sentry] INFO: before send dropped event" in _sdk_lines(caplog)
    (report,) = sentry_endpoint.items("client_report")
    assert report["discarded_events"] == [
        {"reason": "before_send", "category": "error", "quantity": 1}
    ]
    assert_payload(
        "debugging/drop_broken_pipe",
        {
            "events": sentry_endpoint.items("event"),
            "client_report": trim(report, "discarded_events"),
        },
    )

    sentry_sdk.capture_exception(ZeroDivisionError("division by zero"))
    sentry_sdk.flush()

    (event,) = sentry_endpoint.items("event")  # every other error still arrives
    assert event["exception"]["values"][0]["type"] == "ZeroDivisionError"
    sentry_sdk.get_client().close()


def errors_only(event, hint):
    """A hook that keeps error events only: it drops check-ins too."""
    return event if "exception" in event else None


def reads_exc_info(event, hint):
    """A hook that assumes every event has an exception: KeyError on a check-in."""
    return None if isinstance(hint["exc_info"][1], BrokenPipeError) else event


def test_check_ins_go_through_bahks_before_send(sentry_init, recorder, monkeypatch):
    seen = []
    filter_event = bahk.sentry.filter_event

    def watched_filter_event(event, hint):
        seen.append(event["type"])
        return filter_event(event, hint)

    monkeypatch.setattr(bahk.sentry, "filter_event", watched_filter_event)
    sentry_init()  # bahk's options: before_send=filter_event

    capture_checkin(monitor_slug="weekly-fast-report", status=MonitorStatus.IN_PROGRESS)

    assert seen == ["check_in"]  # before_send receives check-ins...
    (check_in,) = recorder.check_ins()  # ...and bahk's lets them through
    assert (check_in["monitor_slug"], check_in["status"]) == ("weekly-fast-report", "in_progress")


def test_drop_broken_pipe_lets_check_ins_through(sentry_init, recorder):
    sentry_init(before_send=drop_broken_pipe.drop_broken_pipe)

    capture_checkin(monitor_slug="weekly-fast-report", status=MonitorStatus.IN_PROGRESS)

    (check_in,) = recorder.check_ins()
    assert check_in["monitor_slug"] == "weekly-fast-report"


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    ("hook", "reason", "debug_line"),
    [
        (errors_only, "before_send", " [sentry] INFO: before send dropped event"),
        (reads_exc_info, "callback_error", " [sentry] ERROR: Internal error in sentry_sdk"),
    ],
)
def test_a_hook_that_returns_none_or_raises_drops_check_ins_silently(
    sentry_endpoint, caplog, hook, reason, debug_line, debug
):
    caplog.set_level(logging.DEBUG, logger=SDK_LOGGER)
    assert init_sentry({"SENTRY_DSN": sentry_endpoint.dsn}, before_send=hook, debug=debug)

    capture_checkin(monitor_slug="weekly-fast-report", status=MonitorStatus.IN_PROGRESS)
    sentry_sdk.flush()

    assert sentry_endpoint.items("check_in") == []
    # Without debug output, nothing says so.
    assert any(line.startswith(debug_line) for line in _sdk_lines(caplog)) is debug
    if not debug:
        assert _sdk_messages(caplog) == []
    # Counted in the client report, as a discarded error.
    (report,) = sentry_endpoint.items("client_report")
    assert report["discarded_events"] == [{"reason": reason, "category": "error", "quantity": 1}]
    sentry_sdk.get_client().close()


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


def test_flush_gives_up_after_five_seconds_when_sentry_does_not_answer(tmp_path, capsys):
    with SentryHTTPEndpoint("stall", stall_seconds=30) as endpoint:
        assert init_sentry({"SENTRY_DSN": endpoint.dsn})
        started = time.monotonic()

        assert one_off_job.main(tmp_path / "participants.csv") == 1

        waited = time.monotonic() - started
        sentry_sdk.get_client().close(timeout=0)
    assert 5 <= waited < 6  # flush(timeout=5): the job ends, sent or not, after five seconds
