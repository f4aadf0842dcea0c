"""docs/testing.md: tests of the example app's instrumentation, shown to readers as examples."""

import celery.beat
import pytest

from factories import create_fast
from payloads import trim


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
        "testing/map_transaction",
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
        "testing/beat_check_ins",
        [
            trim(check_in, "monitor_slug", "status", "check_in_id", "duration", "monitor_config")
            for check_in in (started, finished)
        ],
    )


# --8<-- [end:check-in]
