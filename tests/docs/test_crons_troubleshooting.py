"""docs/crons-troubleshooting.md"""

import logging
import threading

import pytest
import redis
from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun

from harness.beat import apply_beat_entries, run_beat_entries_in_a_process
from harness.payload_files import trim
from snippets.crons_troubleshooting import beat_timezone, short_interval

DAILY = "daily-fast-notifications"


def crontab_fields(schedule: crontab) -> dict:
    return {
        field: getattr(schedule, f"_orig_{field}")
        for field in ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
    }


@pytest.fixture
def task_finished():
    """An event set when the worker has finished a task (with or without Sentry)."""
    finished = threading.Event()

    def on_postrun(**kwargs):
        finished.set()

    task_postrun.connect(on_postrun, weak=False)
    yield finished
    task_postrun.disconnect(on_postrun)


@pytest.mark.django_db(transaction=True)
def test_beat_started_without_sentry_sends_no_check_ins(
    sentry_init, recorder, celery_worker, redis_url
):
    sentry_init(traces_sample_rate=1.0)  # the worker has Sentry...

    run_beat_entries_in_a_process({"REDIS_URL": redis_url}, DAILY)  # ...beat has no SENTRY_DSN

    recorder.wait_for(lambda r: r.transactions())
    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == "hub.tasks.send_daily_fast_notifications"
    assert recorder.check_ins() == []


@pytest.mark.django_db(transaction=True)
def test_worker_without_sentry_leaves_only_in_progress(
    recorder, celery_worker, redis_url, sentry_endpoint, task_finished
):
    # Beat has SENTRY_DSN; this process's worker has no Sentry client at all.
    run_beat_entries_in_a_process(
        {"REDIS_URL": redis_url, "SENTRY_DSN": sentry_endpoint.dsn}, DAILY
    )

    assert task_finished.wait(timeout=10), "the worker did not run the task"
    statuses = [c["status"] for c in sentry_endpoint.items("check_in")]
    assert statuses == ["in_progress"]
    assert recorder.check_ins() == []


def test_worker_down_leaves_only_in_progress(sentry_init, recorder, celery_worker, redis_url):
    sentry_init()
    # A queue no worker consumes: the same as no worker running.
    apply_beat_entries(celery_worker, DAILY, queue="no-worker-running")

    (check_in,) = recorder.check_ins()
    assert (check_in["monitor_slug"], check_in["status"]) == (DAILY, "in_progress")
    assert redis.Redis.from_url(redis_url).llen("no-worker-running") == 1


@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_send_every_check_in_twice(
    sentry_init, recorder, celery_worker, assert_payload
):
    sentry_init()

    for _beat_process in range(2):
        apply_beat_entries(celery_worker, DAILY)

    recorder.wait_for(lambda r: len(r.check_ins()) == 4)
    check_ins = recorder.check_ins()
    assert sorted(c["status"] for c in check_ins) == ["in_progress", "in_progress", "ok", "ok"]
    assert {c["monitor_slug"] for c in check_ins} == {DAILY}
    assert len({c["check_in_id"] for c in check_ins}) == 2
    assert_payload(
        "crons_troubleshooting/two_beats",
        sorted(
            (trim(c, "monitor_slug", "status") for c in check_ins),
            key=lambda c: c["status"],
        ),
    )


def test_monitor_timezone_is_the_beat_timezone(sentry_init, recorder, redis_url, assert_payload):
    from bahk.celery import app as bahk_app

    # The app as bahk/celery.py builds it, with the snippet's CELERY_TIMEZONE setting.
    paris_app = Celery("bahk", set_as_current=False)
    paris_app.config_from_object(beat_timezone, namespace="CELERY")
    paris_app.conf.broker_url = redis_url
    # Entries as bahk/celery.py writes them; a crontab reads its timezone from its app.
    paris_app.conf.beat_schedule = {
        name: {**entry, "schedule": crontab(**crontab_fields(entry["schedule"]), app=paris_app)}
        for name, entry in bahk_app.conf.beat_schedule.items()
    }
    sentry_init()
    apply_beat_entries(paris_app, DAILY, queue="no-worker-running")  # only beat's side matters

    (check_in,) = recorder.check_ins()
    assert check_in["monitor_config"] == {
        "schedule": {"type": "crontab", "value": "0 7 * * *"},
        "timezone": "Europe/Paris",
    }
    assert_payload(
        "crons_troubleshooting/beat_timezone", trim(check_in, "monitor_slug", "monitor_config")
    )


@pytest.mark.parametrize("debug", [False, True])
def test_interval_not_in_whole_minutes_is_skipped_with_a_debug_only_warning(
    sentry_init, recorder, celery_worker, caplog, debug, assert_payload
):
    original = celery_worker.conf.beat_schedule
    celery_worker.conf.beat_schedule = {**original, **short_interval.BEAT_SCHEDULE}
    try:
        sentry_init(traces_sample_rate=1.0, debug=debug)
        with caplog.at_level(logging.WARNING, logger="sentry_sdk.errors"):
            apply_beat_entries(celery_worker, *short_interval.BEAT_SCHEDULE)
    finally:
        celery_worker.conf.beat_schedule = original

    recorder.wait_for(lambda r: len(r.transactions()) == 2)
    assert recorder.check_ins() == []
    # The tasks themselves still run, and are traced.
    transactions = sorted(t["transaction"] for t in recorder.transactions())
    assert transactions == [
        "snippets.crons_troubleshooting.short_interval.count_online_participants",
        "snippets.crons_troubleshooting.short_interval.expire_idle_connections",
    ]
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "sentry_sdk.errors" and r.levelno == logging.WARNING
    ]
    # The SDK's logger drops everything unless debug is on: without it, not even a warning.
    assert warnings == (
        [
            "Intervals shorter than one minute are not supported by Sentry Crons. "
            "Monitor 'online-participants-count' has an interval of 30 seconds. "
            "Use the `exclude_beat_tasks` option in the celery integration to exclude it.",
            "Sentry Crons only supports intervals of whole minutes. "
            "Monitor 'idle-connections-expiry' has an interval of 90 seconds. "
            "Use the `exclude_beat_tasks` option in the celery integration to exclude it.",
        ]
        if debug
        else []
    )
    if debug:
        assert_payload(
            "crons_troubleshooting/short_interval",
            {
                "check_ins": recorder.check_ins(),
                "transactions": transactions,
                "sdk_log_with_debug": warnings,
            },
        )
