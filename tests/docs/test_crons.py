"""docs/crons.md"""

import threading
import time
from datetime import datetime

import celery.beat
import pytest
import sentry_sdk
from celery import shared_task
from sentry_sdk.integrations.celery import CeleryIntegration

from harness.beat import apply_beat_entries
from harness.factories import create_fast
from harness.payload_files import trim
from snippets.crons import (
    beat_init,
    exclude_beat_tasks,
    failing_beat_tasks,
    monitor_context_manager,
    monitor_decorator,
)

APP_ENTRIES = ("daily-fast-notifications", "hourly-fast-map-updates")
CHECK_IN_FIELDS = ("monitor_slug", "status", "monitor_config", "duration")


def by_slug(check_ins):
    result = {}
    for check_in in check_ins:
        result.setdefault(check_in["monitor_slug"], []).append(check_in)
    return result


def call_outside_a_worker(task, *args):
    """Call a task's function as a script or management command would.

    In a worker, the Celery integration wraps `task.run` with its own error reporting; the test
    worker runs in this process, so undo that wrapper to call the function beneath it (the
    function `@sentry_sdk.monitor` returned).
    """
    run = task.run.__wrapped__ if getattr(task, "_sentry_is_patched", False) else task.run
    return run(*args)


WORKER_BUSY = threading.Event()
WORKER_RELEASED = threading.Event()


@shared_task
def keep_the_worker_busy() -> None:
    """A long task: the solo worker runs nothing else until the test releases it."""
    WORKER_BUSY.set()
    assert WORKER_RELEASED.wait(timeout=10)


def seconds(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp).timestamp()


def transaction_names(recorder) -> list[str]:
    return [t["transaction"] for t in recorder.transactions()]


@pytest.fixture
def extra_beat_entries(celery_worker):
    """Add entries to the app's beat schedule for one test."""
    original = celery_worker.conf.beat_schedule

    def add(entries):
        celery_worker.conf.beat_schedule = {**original, **entries}

    yield add
    celery_worker.conf.beat_schedule = original


@pytest.mark.django_db(transaction=True)
def test_beat_sends_in_progress_and_worker_sends_ok(
    sentry_init, recorder, celery_worker, assert_payload
):
    sentry_init()

    apply_beat_entries(celery_worker, *APP_ENTRIES)

    recorder.wait_for(lambda r: len(r.check_ins()) == 4)
    slugs = by_slug(recorder.check_ins())
    assert set(slugs) == set(APP_ENTRIES)
    expected_config = {
        "daily-fast-notifications": {
            "schedule": {"type": "crontab", "value": "0 7 * * *"},
            "timezone": "UTC",
        },
        "hourly-fast-map-updates": {
            "schedule": {"type": "crontab", "value": "0 * * * *"},
            "timezone": "UTC",
        },
    }
    for slug, (started, finished) in slugs.items():
        assert (started["status"], finished["status"]) == ("in_progress", "ok")
        assert started["check_in_id"] == finished["check_in_id"]
        assert started["monitor_config"] == finished["monitor_config"] == expected_config[slug]
        assert started["duration"] is None
        assert finished["duration"] > 0
        # beat sent the first, the worker's task the second
        assert finished["contexts"]["trace"]["op"] == "queue.task.celery"
        assert "op" not in started["contexts"]["trace"]
    # A check-in carries a status, a duration and the schedule: nothing about CPU or memory.
    assert {key for check_in in recorder.check_ins() for key in check_in} == {
        "type",
        "check_in_id",
        "monitor_slug",
        "status",
        "duration",
        "monitor_config",
        "timestamp",
        "event_id",
        "environment",
        "release",
        "server_name",
        "contexts",
        "sdk",
        "platform",
    }
    assert recorder.events() == []
    assert_payload(
        "crons/beat_check_ins",
        sorted(
            (trim(c, *CHECK_IN_FIELDS) for c in recorder.check_ins()),
            key=lambda c: (c["monitor_slug"], c["status"] != "in_progress"),
        ),
    )


@pytest.mark.django_db(transaction=True)
def test_in_progress_is_sent_when_beat_queues_the_task_so_queue_time_counts(
    sentry_init, recorder, celery_worker
):
    sentry_init(traces_sample_rate=1.0)
    WORKER_BUSY.clear()
    WORKER_RELEASED.clear()
    keep_the_worker_busy.delay()
    assert WORKER_BUSY.wait(timeout=10)

    apply_beat_entries(celery_worker, "daily-fast-notifications")
    (started,) = recorder.check_ins()  # sent by beat while the task waits in the queue
    time.sleep(0.5)
    WORKER_RELEASED.set()

    recorder.wait_for(lambda r: "hub.tasks.send_daily_fast_notifications" in transaction_names(r))
    started, finished = recorder.check_ins()
    (task,) = [
        t
        for t in recorder.transactions()
        if t["transaction"] == "hub.tasks.send_daily_fast_notifications"
    ]
    assert (started["status"], finished["status"]) == ("in_progress", "ok")
    assert seconds(started["timestamp"]) + 0.5 <= seconds(task["start_timestamp"])
    # The duration runs from beat's send, not from the task's start: the half second in the
    # queue counts toward the monitor's max_runtime.
    task_took = seconds(task["timestamp"]) - seconds(task["start_timestamp"])
    assert task_took < 0.5 <= finished["duration"]


def test_worker_sends_error_when_the_task_raises_or_retries(
    sentry_init, recorder, celery_worker, extra_beat_entries, assert_payload
):
    extra_beat_entries(failing_beat_tasks.BEAT_SCHEDULE)
    sentry_init(traces_sample_rate=1.0)  # each run's transaction ends after its check-in

    apply_beat_entries(celery_worker, "weekly-report-export", "calendar-sync")

    # Wait for the runs themselves, not for a number of check-ins: one more retry would send
    # one more check-in, after that number was reached.
    runs = lambda r: [t["contexts"]["trace"]["status"] for t in r.transactions()]  # noqa: E731
    recorder.wait_for(lambda r: sorted(runs(r)) == ["aborted", "internal_error", "internal_error"])
    slugs = by_slug(recorder.check_ins())
    assert [c["status"] for c in slugs["weekly-report-export"]] == ["in_progress", "error"]
    # One in_progress from beat, then an error for the retry and one for the final failure,
    # all on the same check-in.
    assert [c["status"] for c in slugs["calendar-sync"]] == ["in_progress", "error", "error"]
    assert len({c["check_in_id"] for c in slugs["calendar-sync"]}) == 1
    assert slugs["weekly-report-export"][0]["monitor_config"] == {
        "schedule": {"type": "crontab", "value": "30 6 * * mon"},
        "timezone": "UTC",
    }
    # The Celery integration reports the exceptions themselves, once per task.
    assert sorted(e["transaction"] for e in recorder.events()) == [
        "snippets.crons.failing_beat_tasks.export_weekly_report",
        "snippets.crons.failing_beat_tasks.sync_calendar",
    ]
    raised = sorted(
        (e["exception"]["values"][-1]["type"], e["exception"]["values"][-1]["value"])
        for e in recorder.events()
    )
    assert raised == [
        ("ReportServiceDown", "calendar.example.invalid did not answer"),
        ("ReportServiceDown", "reports.example.invalid did not answer"),
    ]
    assert_payload(
        "crons/failing_beat_tasks",
        {
            slug: [trim(c, "status", "monitor_config") for c in items]
            for slug, items in slugs.items()
        },
    )


@pytest.mark.django_db(transaction=True)
def test_exclude_beat_tasks(
    sentry_init, recorder, celery_worker, extra_beat_entries, assert_payload
):
    extra_beat_entries(exclude_beat_tasks.BEAT_SCHEDULE)
    sentry_init(integrations=exclude_beat_tasks.INTEGRATIONS, traces_sample_rate=1.0)

    apply_beat_entries(celery_worker, *APP_ENTRIES, "cleanup-expired-sessions")

    # A task's check-in is sent before its transaction ends: after three transactions, all
    # the check-ins are in.
    recorder.wait_for(lambda r: len(r.transactions()) == 3)
    # Only the entry that no pattern matches sends check-ins.
    assert [(c["monitor_slug"], c["status"]) for c in recorder.check_ins()] == [
        ("daily-fast-notifications", "in_progress"),
        ("daily-fast-notifications", "ok"),
    ]
    # The excluded tasks still run, and are still traced.
    assert {t["transaction"] for t in recorder.transactions()} == {
        "hub.tasks.send_daily_fast_notifications",
        "hub.tasks.update_fast_maps",
        "snippets.crons.exclude_beat_tasks.clear_expired_sessions",
    }
    # ...and succeed: the cleanup really runs Django's clearsessions.
    assert {t["contexts"]["trace"]["status"] for t in recorder.transactions()} == {"ok"}
    assert recorder.events() == []
    assert_payload(
        "crons/exclude_beat_tasks",
        {
            "check_ins": [trim(c, "monitor_slug", "status") for c in recorder.check_ins()],
            "transactions": sorted(t["transaction"] for t in recorder.transactions()),
        },
    )


@pytest.mark.parametrize(
    ("pattern", "excluded"), [("^cleanup-", False), ("cleanup-", False), ("cleanup-.*", True)]
)
def test_exclude_pattern_must_match_up_to_the_end_of_the_name(
    sentry_init, recorder, celery_worker, extra_beat_entries, pattern, excluded
):
    extra_beat_entries(exclude_beat_tasks.BEAT_SCHEDULE)
    sentry_init(
        integrations=[CeleryIntegration(monitor_beat_tasks=True, exclude_beat_tasks=[pattern])]
    )
    # Only beat's side matters here: no worker consumes that queue.
    apply_beat_entries(celery_worker, "cleanup-expired-sessions", queue="no-worker-running")

    # The SDK adds "$" to the pattern, then searches the name with it.
    sent = [(c["monitor_slug"], c["monitor_config"]["schedule"]) for c in recorder.check_ins()]
    schedule = {"type": "crontab", "value": "30 3 * * *"}
    assert sent == ([] if excluded else [("cleanup-expired-sessions", schedule)])


def test_beat_init_signal_initialises_sentry_in_beat(
    recorder, celery_worker, sentry_endpoint, monkeypatch, clean_environ, assert_payload
):
    clean_environ()
    monkeypatch.setenv("SENTRY_DSN", sentry_endpoint.dsn)
    assert not sentry_sdk.get_client().is_active()

    # What `celery beat` sends once it has started, before the first entry is due.
    celery.signals.beat_init.send(sender=celery.beat.Service(celery_worker))
    apply_beat_entries(celery_worker, "daily-fast-notifications")

    assert beat_init.init_sentry_in_beat in [r() for _, r in celery.signals.beat_init.receivers]
    sentry_sdk.flush()
    sentry_endpoint.wait_for(lambda e: len(e.items("check_in")) >= 1)
    started = sentry_endpoint.items("check_in")[0]
    assert started["monitor_slug"] == "daily-fast-notifications"
    assert started["status"] == "in_progress"
    assert recorder.check_ins() == []  # over HTTP, through the DSN from the environment
    assert_payload("crons/beat_init", trim(started, "monitor_slug", "status", "monitor_config"))


@pytest.mark.django_db
def test_monitor_decorator_sends_in_progress_then_ok(sentry_init, recorder, assert_payload):
    fast = create_fast(None, [])
    sentry_init()

    assert call_outside_a_worker(monitor_decorator.send_weekly_fast_report, fast.id) == 0

    started, finished = recorder.check_ins()
    assert started["monitor_slug"] == finished["monitor_slug"] == "weekly-fast-report"
    assert (started["status"], finished["status"]) == ("in_progress", "ok")
    assert started["check_in_id"] == finished["check_in_id"]
    assert started["duration"] is None
    assert finished["duration"] > 0
    expected = {**monitor_decorator.WEEKLY_REPORT_MONITOR}
    assert started["monitor_config"] == finished["monitor_config"] == expected
    assert_payload(
        "crons/monitor_decorator",
        [trim(c, *CHECK_IN_FIELDS) for c in recorder.check_ins()],
    )


@pytest.mark.django_db
def test_monitor_decorator_sends_error_and_no_event(sentry_init, recorder, assert_payload):
    from hub.models import Fast

    sentry_init()

    with pytest.raises(Fast.DoesNotExist):
        call_outside_a_worker(monitor_decorator.send_weekly_fast_report, 404)

    assert [c["status"] for c in recorder.check_ins()] == ["in_progress", "error"]
    assert recorder.events() == []
    assert_payload(
        "crons/monitor_decorator__error",
        {
            "check_ins": [trim(c, "monitor_slug", "status") for c in recorder.check_ins()],
            "events": recorder.events(),
        },
    )


def test_monitor_decorator_in_the_worker_also_gets_celerys_error_event(
    sentry_init, recorder, celery_worker
):
    sentry_init()

    monitor_decorator.send_weekly_fast_report.delay(404)

    recorder.wait_for(lambda r: len(r.check_ins()) == 2 and r.events())
    assert [c["status"] for c in recorder.check_ins()] == ["in_progress", "error"]
    (event,) = recorder.events()
    assert event["exception"]["values"][0]["mechanism"]["type"] == "celery"


@pytest.mark.django_db
def test_monitor_context_manager(sentry_init, recorder, assert_payload):
    create_fast(None, [])
    sentry_init()

    assert monitor_context_manager.delete_empty_fasts() == 1

    started, finished = recorder.check_ins()
    assert started["monitor_slug"] == "empty-fasts-cleanup"
    assert (started["status"], finished["status"]) == ("in_progress", "ok")
    assert finished["duration"] > 0
    assert "monitor_config" not in started
    assert_payload(
        "crons/monitor_context_manager",
        [trim(c, "monitor_slug", "status", "duration") for c in recorder.check_ins()],
    )


@pytest.mark.django_db
def test_the_monitored_jobs_work_on_the_right_fasts(sentry_init, recorder):
    from hub.models import Fast

    busy = create_fast(None, [("Dakar", 14.7167, -17.4677), ("Paris", 48.85, 2.35)])
    empty = create_fast(None, [])
    sentry_init()

    assert call_outside_a_worker(monitor_decorator.send_weekly_fast_report, busy.id) == 2
    assert call_outside_a_worker(monitor_decorator.send_weekly_fast_report, empty.id) == 0
    assert monitor_context_manager.delete_empty_fasts() == 1
    assert list(Fast.objects.all()) == [busy]


@pytest.mark.django_db(transaction=True)
def test_decorator_on_a_beat_task_doubles_the_check_ins(
    sentry_init, recorder, celery_worker, extra_beat_entries
):
    fast = create_fast(None, [])
    extra_beat_entries(
        {
            "weekly-fast-report": {
                "task": "snippets.crons.monitor_decorator.send_weekly_fast_report",
                "schedule": celery.schedules.crontab(day_of_week="mon", hour=8, minute=0),
                "args": (fast.id,),
            }
        }
    )
    sentry_init()

    apply_beat_entries(celery_worker, "weekly-fast-report")

    recorder.wait_for(lambda r: len(r.check_ins()) == 4)
    statuses = [c["status"] for c in recorder.check_ins()]
    assert statuses.count("in_progress") == 2 and statuses.count("ok") == 2
    # Same slug, two check-in ids: Sentry sees two runs of one job.
    assert {c["monitor_slug"] for c in recorder.check_ins()} == {"weekly-fast-report"}
    assert len({c["check_in_id"] for c in recorder.check_ins()}) == 2
