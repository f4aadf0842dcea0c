"""docs/testing.md: tests of the example app's instrumentation, shown to readers as examples."""

import json
import os
import subprocess
import sys
from pathlib import Path

import celery.beat
import pytest
import redis
import sentry_sdk
from django.test import Client

from harness.environ import clean_environ
from harness.factories import create_fast
from harness.payload_files import trim
from harness.redis_server import on_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fast_with_participants():
    oslo, lyon = ("Oslo", 59.91, 10.75), ("Lyon", 45.76, 4.84)
    return create_fast(1447, [oslo, oslo, lyon], name="Ramadan")


# --8<-- [start:transaction]
@pytest.mark.django_db
def test_the_map_view_sends_a_transaction_with_its_spans(
    sentry_init, recorder, wsgi, redis_url, fast_with_participants, assert_payload
):
    sentry_init(traces_sample_rate=1.0)
    url = f"/api/fasts/{fast_with_participants.id}/participants/map/"

    assert wsgi.get(url).status == 200

    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == "/api/fasts/{fast_id}/participants/map/"
    assert transaction["contexts"]["trace"]["op"] == "http.server"
    (map_build,) = recorder.spans(op="map.build")
    assert map_build["description"] == "Build participants map"
    assert map_build["data"]["points"] == 2  # Oslo and Lyon
    assert [span["tags"]["redis.command"] for span in recorder.spans(op="db.redis")] == [
        "GET",
        "SET",
    ]
    assert recorder.spans(op="db"), "the map is built from the database"
    assert_payload(
        "testing/transaction",
        trim(
            transaction,
            "transaction",
            "contexts.trace.op",
            "contexts.trace.status",
            "spans[].op",
            "spans[].description",
        ),
    )


# --8<-- [end:transaction]


# --8<-- [start:check-in]
@pytest.mark.django_db(transaction=True)
def test_a_beat_task_sends_its_check_ins(sentry_init, recorder, celery_worker, assert_payload):
    sentry_init()
    scheduler = celery.beat.Scheduler(celery_worker, lazy=True)
    scheduler.setup_schedule()

    # What beat does when the entry is due: send the task (and the in_progress check-in).
    scheduler.apply_entry(scheduler.schedule["hourly-fast-map-updates"], producer=None)

    # The worker thread sends "ok" when the task returns.
    recorder.wait_for(lambda r: [c["status"] for c in r.check_ins()] == ["in_progress", "ok"])
    started, finished = recorder.check_ins()
    assert started["monitor_slug"] == finished["monitor_slug"] == "hourly-fast-map-updates"
    assert started["check_in_id"] == finished["check_in_id"]
    assert started["monitor_config"]["schedule"] == {"type": "crontab", "value": "0 * * * *"}
    assert finished["duration"] > 0
    assert_payload(
        "testing/check_in",
        [
            trim(check_in, "monitor_slug", "status", "check_in_id", "duration", "monitor_config")
            for check_in in (started, finished)
        ],
    )


# --8<-- [end:check-in]


# The isolated_sentry fixture (conftest.py): what one test puts on the scopes is gone in the
# next one (pytest runs a file's tests in order).
def test_isolation_1_a_test_leaves_data_on_every_scope(sentry_init):
    sentry_init()
    sentry_sdk.get_global_scope().set_tag("left_by", "global")
    sentry_sdk.set_user({"id": "left-on-the-isolation-scope"})
    sentry_sdk.get_current_scope().set_context("left_by", {"scope": "current"})


def test_isolation_2_the_next_test_starts_without_client_or_data(sentry_init, recorder):
    assert not sentry_sdk.get_client().is_active()
    sentry_init()

    sentry_sdk.capture_message("a clean start")

    (event,) = recorder.events()
    assert "left_by" not in event.get("tags", {})
    assert "user" not in event
    assert "left_by" not in event["contexts"]


@pytest.mark.django_db
def test_djangos_test_client_records_no_transaction(sentry_init, recorder, wsgi):
    sentry_init(traces_sample_rate=1.0)

    assert Client().get("/health/").status_code == 200
    assert recorder.transactions() == []

    assert wsgi.get("/health/").status == 200  # the real WSGI application
    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == "/health/"


@pytest.mark.django_db
def test_the_transport_receives_sessions_too(sentry_init, recorder, wsgi):
    sentry_init()

    assert wsgi.get("/health/").status == 200
    sentry_sdk.get_client().close()  # sends the request sessions counted so far

    (sessions,) = recorder.items("sessions")
    assert sessions["attrs"]["environment"] == "test"
    assert [aggregate["exited"] for aggregate in sessions["aggregates"]] == [1]


def test_celery_testing_worker_imported_too_early_loses_task_errors_and_transactions(
    redis_url,
):
    env = clean_environ()
    env.update(
        PYTHONPATH=os.pathsep.join(str(ROOT / d) for d in ("example_app", "tests", ".")),
        DJANGO_SETTINGS_MODULE="bahk.settings",
    )
    processes = {}
    # Each process on a Redis database of its own: no other worker may take its task.
    for order, database in (("before", 2), ("after", 3)):
        broker_url = on_database(redis_url, database)
        redis.Redis.from_url(broker_url).flushdb()
        processes[order] = subprocess.Popen(
            [sys.executable, "-m", "harness.early_worker_import", order],
            env={**env, "REDIS_URL": broker_url},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    sent = {}
    for order, process in processes.items():
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        sent[order] = json.loads(stdout)

    task = "snippets.celery.failing_task.geocode_participant"
    assert sent["after"] == {
        "events": ["GeocodingError"],
        "transactions": [task],
        "check_ins": ["in_progress", "error"],
    }
    # Imported before Sentry: no task error, no task transaction; the check-ins still arrive.
    assert sent["before"] == {
        "events": [],
        "transactions": [],
        "check_ins": ["in_progress", "error"],
    }


def test_without_the_clean_up_a_user_reaches_the_next_tests_events(sentry_init, recorder):
    sentry_init()
    sentry_sdk.set_user({"id": 7})
    sentry_sdk.get_client().close()  # one test ends: a new client does not clear the scopes

    sentry_init()  # the next test
    sentry_sdk.capture_message("An event of the next test")

    (event,) = recorder.events()
    assert event["user"] == {"id": 7}
