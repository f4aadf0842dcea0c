"""docs/celery.md"""

import json
import os
import subprocess
import sys
from datetime import datetime

import pytest
import sentry_sdk

from harness.beat import run_beat_entries_in_a_process
from harness.environ import clean_environ
from harness.fields import EXCEPTION, SPANS
from harness.payload_files import ROOT, trim
from snippets.celery import (
    eager_settings,
    enqueue_from_view,
    failing_task,
    retrying_task,
    sample_rate_per_dyno,
)

TRANSACTION_FIELDS = (
    "transaction",
    "transaction_info",
    "contexts.trace.op",
    "contexts.trace.status",
    *SPANS,
    "spans[].data.messaging.destination.name",
    "spans[].data.messaging.system",
    "spans[].data.messaging.message.retry.count",
)


def join_fast(wsgi, fast_id=3, email="amina@example.org", headers=None):
    return wsgi.post(
        f"/api/fasts/{fast_id}/join/",
        body=f"email={email}".encode(),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def test_failing_task_sends_unhandled_celery_error(
    sentry_init, recorder, celery_worker, assert_payload
):
    sentry_init(traces_sample_rate=1.0)

    failing_task.geocode_participant.delay("amina@example.org", "Timbuktu")

    recorder.wait_for(lambda r: r.events() and r.transactions())
    (event,) = recorder.events()
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "GeocodingError"
    assert exception["mechanism"] == {"type": "celery", "handled": False}
    task_name = "snippets.celery.failing_task.geocode_participant"
    assert event["transaction"] == task_name
    # bahk's data_collection turns off "queues" and "stack_frame_variables": the task's
    # arguments are sent neither with the task nor as the function's local variables.
    assert event["extra"]["celery-job"] == {"task_name": task_name}
    assert event["tags"]["celery_task_id"]
    assert "amina@example.org" not in json.dumps(event)
    assert "Timbuktu" not in json.dumps(event)

    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == task_name
    assert transaction["contexts"]["trace"]["op"] == "queue.task.celery"
    assert transaction["contexts"]["trace"]["status"] == "internal_error"
    assert transaction["contexts"]["trace"]["trace_id"] == event["contexts"]["trace"]["trace_id"]
    assert_payload(
        "celery/failing_task",
        trim(
            event,
            "level",
            "transaction",
            *EXCEPTION,
            "tags.celery_task_id",
            "extra.celery-job",
            "contexts.trace.op",
        ),
    )


def test_sdk_defaults_filter_arguments_but_send_local_variables(
    sentry_init, recorder, celery_worker, assert_payload
):
    sentry_init(data_collection=None)  # the SDK's defaults, not bahk's

    failing_task.geocode_participant.delay("amina@example.org", "Timbuktu")

    recorder.wait_for(lambda r: r.events())
    (event,) = recorder.events()
    assert event["extra"]["celery-job"]["args"] == "[Filtered]"
    assert event["extra"]["celery-job"]["kwargs"] == "[Filtered]"
    (exception,) = event["exception"]["values"]
    (frame,) = [
        f for f in exception["stacktrace"]["frames"] if f["function"] == "geocode_participant"
    ]
    assert frame["vars"] == {"email": "'amina@example.org'", "city": "'Timbuktu'"}
    assert_payload(
        "celery/failing_task__sdk_defaults",
        trim(event, "exception.values[].stacktrace.frames[].vars", "extra.celery-job"),
    )


@pytest.mark.django_db(transaction=True)
def test_task_transaction(sentry_init, recorder, celery_worker, assert_payload):
    from hub.tasks import update_fast_maps

    sentry_init(traces_sample_rate=1.0)

    update_fast_maps.delay()

    recorder.wait_for(lambda r: r.transactions())
    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == "hub.tasks.update_fast_maps"
    assert transaction["transaction_info"] == {"source": "task"}
    assert transaction["contexts"]["trace"]["op"] == "queue.task.celery"
    assert transaction["contexts"]["trace"]["status"] == "ok"
    assert [span["op"] for span in transaction["spans"]][:2] == ["queue.process", "db"]
    assert recorder.events() == []
    # The worker thread's database "connect" span appears only on its first query of the run.
    spans = [s for s in transaction["spans"] if s.get("description") != "connect"]
    assert_payload(
        "celery/task_transaction", trim({**transaction, "spans": spans}, *TRANSACTION_FIELDS)
    )


@pytest.mark.django_db
def test_the_join_view_takes_posts_only(sentry_init, recorder, wsgi, settings):
    settings.ROOT_URLCONF = "snippets.celery.enqueue_from_view"
    sentry_init()

    assert wsgi.get("/api/fasts/3/join/").status == 405  # and no task is queued
    assert recorder.events() == []


@pytest.mark.django_db
def test_view_and_task_share_one_trace(
    sentry_init, recorder, celery_worker, wsgi, settings, assert_payload
):
    settings.ROOT_URLCONF = "snippets.celery.enqueue_from_view"
    sentry_init(traces_sample_rate=1.0)

    response = join_fast(wsgi)

    assert response.status == 202
    assert response.json() == {"queued": True}
    recorder.wait_for(lambda r: len(r.transactions()) == 2)
    request, task = sorted(recorder.transactions(), key=lambda t: t["contexts"]["trace"]["op"])
    assert request["transaction"] == "/api/fasts/{fast_id}/join/"
    assert request["contexts"]["trace"]["op"] == "http.server"
    assert task["transaction"] == "snippets.celery.enqueue_from_view.send_welcome_email"
    assert task["contexts"]["trace"]["op"] == "queue.task.celery"
    assert task["contexts"]["trace"]["trace_id"] == request["contexts"]["trace"]["trace_id"]
    assert task["contexts"]["trace"]["data"]["thread.name"] != "MainThread"
    queue_spans = [s for s in request["spans"] if s["op"].startswith("queue.")]
    assert [s["op"] for s in queue_spans] == [
        "queue.submit.celery",
        "queue.submit.celery",
        "queue.publish",
    ]
    apply_async, send_task, publish = queue_spans
    # delay() calls Task.apply_async, which calls app.send_task: each opens a submit span,
    # the second inside the first, and the message is published inside the second.
    assert apply_async["parent_span_id"] == request["contexts"]["trace"]["span_id"]
    assert send_task["parent_span_id"] == apply_async["span_id"]
    assert publish["parent_span_id"] == send_task["span_id"]
    # The message carries the inner span's trace headers: it is the task's parent.
    assert task["contexts"]["trace"]["parent_span_id"] == send_task["span_id"]
    # Redis receives the message with LPUSH onto the "celery" list, inside the publish span.
    (lpush,) = [s for s in request["spans"] if s["description"].startswith("LPUSH")]
    assert lpush["op"] == "db.redis"
    assert lpush["description"] == "LPUSH 'celery'"
    assert lpush["parent_span_id"] == publish["span_id"]
    assert_payload(
        "celery/enqueue_from_view",
        {
            "request": trim(
                {**request, "spans": [*queue_spans, lpush]},
                "transaction",
                "contexts.trace.op",
                "contexts.trace.trace_id",
                *SPANS,
            ),
            "task": trim(
                task,
                "transaction",
                "contexts.trace.op",
                "contexts.trace.trace_id",
                "contexts.trace.parent_span_id",
            ),
        },
    )


def test_send_task_by_name_opens_one_submit_span(sentry_init, recorder, celery_worker):
    sentry_init(traces_sample_rate=1.0)

    with sentry_sdk.start_transaction(name="send by name"):
        celery_worker.send_task(
            "snippets.celery.enqueue_from_view.send_welcome_email", args=(3, "amina@example.org")
        )

    recorder.wait_for(lambda r: len(r.transactions()) == 2)
    task, sender = sorted(recorder.transactions(), key=lambda t: t["transaction"] == "send by name")
    (submit,) = [s for s in sender["spans"] if s["op"] == "queue.submit.celery"]
    assert submit["parent_span_id"] == sender["contexts"]["trace"]["span_id"]
    assert task["contexts"]["trace"]["parent_span_id"] == submit["span_id"]


def test_retries(sentry_init, recorder, celery_worker, assert_payload):
    sentry_init(traces_sample_rate=1.0)

    retrying_task.send_reminder.delay(7)

    recorder.wait_for(lambda r: r.events() and len(r.transactions()) == 3)
    transactions = recorder.transactions()
    assert [t["transaction"] for t in transactions] == [
        "snippets.celery.retrying_task.send_reminder"
    ] * 3
    assert [t["contexts"]["trace"]["status"] for t in transactions] == [
        "aborted",
        "aborted",
        "internal_error",
    ]
    assert [
        span["data"]["messaging.message.retry.count"]
        for t in transactions
        for span in t["spans"]
        if span["op"] == "queue.process"
    ] == [0, 1, 2]
    assert len({t["contexts"]["trace"]["trace_id"] for t in transactions}) == 1
    (event,) = recorder.events()
    assert event["exception"]["values"][-1]["type"] == "MailServiceDown"
    assert event["exception"]["values"][-1]["value"] == "mail.example.invalid did not answer"
    assert event["exception"]["values"][-1]["mechanism"]["type"] == "celery"
    assert_payload(
        "celery/retrying_task",
        {
            "transactions": [
                trim(
                    # Redis spans vary with the connections already open: keep the queue's.
                    {**t, "spans": [s for s in t["spans"] if s["op"].startswith("queue.")]},
                    "transaction",
                    "contexts.trace.status",
                    "spans[].op",
                    "spans[].data.messaging.message.retry.count",
                )
                for t in transactions
            ],
            "events": [trim(event, "exception.values[].type", "exception.values[].mechanism")],
        },
    )


@pytest.fixture
def eager_celery():
    """The app configured with eager_settings, as Django settings would configure it."""
    from bahk.celery import app

    before = {"task_always_eager": False, "task_eager_propagates": False}
    app.conf.update(
        {
            name.removeprefix("CELERY_").lower(): getattr(eager_settings, name)
            for name in dir(eager_settings)
            if name.startswith("CELERY_")
        }
    )
    assert app.conf.task_always_eager and app.conf.task_eager_propagates
    yield app
    app.conf.update(before)


@pytest.mark.django_db
def test_eager_mode_runs_the_task_inside_the_request(
    sentry_init, recorder, eager_celery, wsgi, settings, assert_payload
):
    settings.ROOT_URLCONF = "snippets.celery.enqueue_from_view"
    assert eager_celery.conf.task_always_eager is eager_settings.CELERY_TASK_ALWAYS_EAGER is True
    sentry_init(traces_sample_rate=1.0)

    response = join_fast(wsgi)

    # No worker and no waiting: both transactions are recorded when the response returns.
    assert response.status == 202
    task, request = recorder.transactions()
    assert task["transaction"] == "snippets.celery.enqueue_from_view.send_welcome_email"
    assert task["contexts"]["trace"]["op"] == "queue.task.celery"
    assert task["contexts"]["trace"]["data"]["thread.name"] == "MainThread"
    assert request["contexts"]["trace"]["trace_id"] == task["contexts"]["trace"]["trace_id"]
    # Nothing goes through the broker: no publish span and no LPUSH to Redis.
    request_ops = [s["op"] for s in request["spans"]]
    assert "queue.submit.celery" in request_ops
    assert "queue.publish" not in request_ops
    assert "db.redis" not in request_ops
    assert [s["op"] for s in task["spans"]] == ["queue.process"]
    # apply_async runs the task itself (no send_task): one submit span, the task's parent...
    (submit,) = [s for s in request["spans"] if s["op"] == "queue.submit.celery"]
    assert task["contexts"]["trace"]["parent_span_id"] == submit["span_id"]
    # ...and the task's whole transaction lies inside it: the request lasts as long as the task.
    start, end = (datetime.fromisoformat(submit[key]) for key in ("start_timestamp", "timestamp"))
    assert start <= datetime.fromisoformat(task["start_timestamp"])
    assert datetime.fromisoformat(task["timestamp"]) <= end
    assert end <= datetime.fromisoformat(request["timestamp"])
    assert_payload(
        "celery/eager_settings",
        {
            "task": trim(
                task, "transaction", "contexts.trace.op", "contexts.trace.trace_id", "spans[].op"
            ),
            "request": trim(request, "transaction", "contexts.trace.trace_id", "spans[].op"),
        },
    )


def test_eager_mode_failing_task_fails_the_caller_once(sentry_init, recorder, eager_celery):
    sentry_init()

    with pytest.raises(failing_task.GeocodingError):
        failing_task.geocode_participant.delay("amina@example.org", "Timbuktu")

    (event,) = recorder.events()
    assert event["exception"]["values"][0]["mechanism"] == {"type": "celery", "handled": False}


INCOMING_TRACE_ID = "771a43a4192642f0b136d5159a501700"


def incoming_trace_headers(sample_rand: float) -> dict[str, str]:
    """A trace started upstream that left the sampling decision to us, with a known random."""
    return {
        "sentry-trace": f"{INCOMING_TRACE_ID}-b0e6f15b45c36b12",
        "baggage": f"sentry-trace_id={INCOMING_TRACE_ID},sentry-sample_rand={sample_rand:.6f}",
    }


@pytest.mark.parametrize(
    ("dyno", "rate"),
    [
        ("web.1", 0.05),
        ("worker.2", 0.5),
        ("run.4213", 0.1),
        ("web-12a34b56d-e78f9", 0.05),  # Fir
        ("worker-23z34x56y-w78k9", 0.5),
    ],
)
def test_sample_rate_per_dyno_type(dyno, rate):
    assert sample_rate_per_dyno.traces_sample_rate({"DYNO": dyno}) == rate


@pytest.mark.django_db
@pytest.mark.parametrize(("sample_rand", "sampled"), [(0.049, True), (0.051, False)])
def test_web_dyno_keeps_five_percent_of_requests(
    sentry_init, recorder, celery_worker, wsgi, settings, sample_rand, sampled
):
    settings.ROOT_URLCONF = "snippets.celery.enqueue_from_view"
    environ = {"DYNO": "web.1"}
    sentry_init(environ, traces_sample_rate=sample_rate_per_dyno.traces_sample_rate(environ))

    assert join_fast(wsgi, headers=incoming_trace_headers(sample_rand)).status == 202

    request_traces = [
        trace
        for transaction, trace in recorder.traced()
        if transaction["contexts"]["trace"]["op"] == "http.server"
    ]
    if sampled:
        (trace,) = request_traces
        assert trace["sample_rate"] == "0.05"
        assert trace["trace_id"] == INCOMING_TRACE_ID
    else:
        assert request_traces == []


def post_to_a_web_dyno(redis_url: str, dsn: str, *requests_headers: dict[str, str]) -> None:
    """Call the join view once per headers, in another process with DYNO=web.1."""
    env = clean_environ(
        DYNO="web.1",
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="bahk.settings",
        PYTHONPATH=os.pathsep.join(str(ROOT / path) for path in (".", "example_app", "tests")),
    )
    subprocess.run(
        [sys.executable, "-m", "harness.web_dyno", dsn, json.dumps(requests_headers)],
        env=env,
        cwd=ROOT / "example_app",
        check=True,
        capture_output=True,
        timeout=30,
    )


def traced_transactions(recorder, name: str) -> list[tuple[dict, dict]]:
    """Each transaction of that name with its envelope's trace header."""
    return [(t, trace) for t, trace in recorder.traced() if t["transaction"] == name]


def test_task_sent_from_a_request_follows_the_web_dynos_decision(
    sentry_init, recorder, celery_worker, redis_url, sentry_endpoint, caplog, assert_payload
):
    environ = {"DYNO": "worker.2"}
    sentry_init(environ, traces_sample_rate=sample_rate_per_dyno.traces_sample_rate(environ))

    # Two requests to a web dyno (rate 0.05), each sending the task to this worker (rate 0.5).
    post_to_a_web_dyno(
        redis_url,
        sentry_endpoint.dsn,
        incoming_trace_headers(0.03),  # under 0.05: the web dyno keeps this request
        incoming_trace_headers(0.3),  # over 0.05: it drops this one
    )
    failing_task.geocode_participant.delay("amina@example.org", "Timbuktu")  # runs last

    recorder.wait_for(lambda r: r.events())
    sent = [r for r in caplog.records if r.getMessage() == "Welcome email for fast 3 sent"]
    assert len(sent) == 2  # the worker ran both tasks
    (request,) = sentry_endpoint.items("transaction")
    assert request["transaction"] == "/api/fasts/{fast_id}/join/"
    # Only the task of the kept request is traced, although 0.3 is under the worker's 0.5: the
    # worker follows the decision in the message. The web dyno's rate travels with the trace.
    ((task, trace),) = traced_transactions(recorder, enqueue_from_view.send_welcome_email.name)
    assert trace["sample_rate"] == "0.05"
    assert trace["sample_rand"] == "0.030000"
    assert trace["trace_id"] == INCOMING_TRACE_ID
    assert_payload(
        "celery/sample_rate_per_dyno__request",
        {
            "envelope_header": trim({"trace": trace}, "trace.sample_rate"),
            "transaction": trim(task, "transaction", "tags.dyno_type"),
        },
    )


@pytest.mark.django_db(transaction=True)
def test_worker_dyno_rate_decides_for_the_tasks_beat_sends(
    sentry_init, recorder, celery_worker, redis_url, sentry_endpoint, assert_payload
):
    environ = {"DYNO": "worker.2"}
    sentry_init(environ, traces_sample_rate=sample_rate_per_dyno.traces_sample_rate(environ))

    # Beat, in its own process, starts a new trace for every entry it sends but no
    # transaction: no sampling decision travels with the task. Even a rate of 0 there
    # plays no part.
    beat_environ = {"SENTRY_DSN": sentry_endpoint.dsn, "SENTRY_TRACES_SAMPLE_RATE": "0"}
    run_beat_entries_in_a_process(
        {"REDIS_URL": redis_url, "DYNO": "beat.1", **beat_environ},
        *["daily-fast-notifications"] * 40,
    )
    failing_task.geocode_participant.delay("amina@example.org", "Timbuktu")  # runs last

    recorder.wait_for(lambda r: r.events())
    assert len(sentry_endpoint.items("check_in")) == 40  # beat did send all 40
    kept = traced_transactions(recorder, "hub.tasks.send_daily_fast_notifications")
    # Each is kept with probability 0.5: all or none of 40 would happen once in 10**12 runs.
    assert 0 < len(kept) < 40
    assert {trace["sample_rate"] for _, trace in kept} == {"0.5"}
    assert_payload(
        "celery/sample_rate_per_dyno",
        {
            "envelope_header": trim({"trace": kept[0][1]}, "trace.sample_rate"),
            "transaction": trim(
                kept[0][0],
                "transaction",
                "tags.dyno",
                "tags.dyno_type",
            ),
        },
    )
