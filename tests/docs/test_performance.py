"""docs/performance.md"""

import json
import shlex
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import sentry_sdk

from harness.beat import apply_beat_entries
from harness.factories import create_fast
from harness.fields import SPANS, TRANSACTION
from harness.loopback_http import LoopbackHTTPServer
from harness.payload_files import trim
from hub.models import Fast
from hub.tasks import send_daily_fast_notifications, update_fast_maps
from sentry_recorder import children_of, ops, spans_of
from snippets.performance import (
    before_send_transaction,
    middleware_spans,
    outgoing_http,
    signals_spans,
    traces_sampler,
    transactions_and_spans,
)

SNIPPETS = Path(__file__).resolve().parents[2] / "snippets" / "performance"
MAP_ROUTE = "/api/fasts/{fast_id}/participants/map/"


PARIS_AND_CAIRO = [("Paris", 10, 20), ("Cairo", 11, 21)]


def map_url(fast: Fast) -> str:
    return MAP_ROUTE.format(fast_id=fast.id)


class GeocoderHandler(BaseHTTPRequestHandler):
    """A geocoding API on loopback: one place for any city."""

    def do_GET(self):
        body = json.dumps([{"lat": "14.7167", "lon": "-17.4677"}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def geocoder_url():
    with LoopbackHTTPServer(GeocoderHandler) as geocoder:
        yield f"http://127.0.0.1:{geocoder.port}"


def environ_from(path: Path) -> dict[str, str]:
    """The NAME=value pairs of a .env file or of a `heroku config:set` command."""
    words = shlex.split(path.read_text())
    return dict(word.split("=", 1) for word in words if "=" in word)


@pytest.mark.django_db
def test_transaction_with_nested_spans(sentry_init, recorder, assert_payload):
    sentry_init(traces_sample_rate=1.0)
    create_fast(1, PARIS_AND_CAIRO)
    create_fast(2, [("Rome", 10, 20)], name="Lent 2026")

    assert transactions_and_spans.count_participants() == {"Ramadan 2026": 2, "Lent 2026": 1}

    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == "Count participants"
    assert transaction["contexts"]["trace"]["op"] == "task"
    root_id = transaction["contexts"]["trace"]["span_id"]
    (load,) = spans_of(transaction, "fasts.load")
    (count_each,) = spans_of(transaction, "fasts.count")
    assert load["description"] == "Load fasts"
    assert load["parent_span_id"] == count_each["parent_span_id"] == root_id
    # Spans nest: the integrations' db spans sit inside the span that ran the query.
    assert [span["op"] for span in children_of(transaction, load)] == ["db"]
    per_fast = children_of(transaction, count_each)
    assert [span["description"] for span in per_fast] == ["Ramadan 2026", "Lent 2026"]
    assert all(
        [child["op"] for child in children_of(transaction, span)] == ["db"] for span in per_fast
    )
    # Queries are the integration's `db` spans (Sentry's convention), not a hand-made `db.query`.
    assert {span["op"] for span in transaction["spans"]} == {
        "fasts.load",
        "fasts.count",
        "fast.count",
        "db",
    }
    assert {span["data"]["db.system"] for span in recorder.spans(op="db")} == {"sqlite"}
    assert_payload(
        "performance/transactions_and_spans",
        trim(transaction, "transaction", "contexts.trace.op", *SPANS),
    )


@pytest.mark.django_db
def test_a_custom_transaction_is_sampled_like_any_other(sentry_init, recorder):
    sentry_init(traces_sample_rate=0.0)
    create_fast(1, [("Paris", 10, 20)])

    assert transactions_and_spans.count_participants() == {"Ramadan 2026": 1}

    assert recorder.transactions() == []


def test_an_outgoing_request_is_an_http_client_span(
    sentry_init, recorder, geocoder_url, assert_payload
):
    sentry_init(traces_sample_rate=1.0)

    with sentry_sdk.start_transaction(op="task", name="Geocode participants") as transaction:
        assert outgoing_http.geocode(geocoder_url, "Dakar") == (14.7167, -17.4677)

    (span,) = recorder.spans()
    assert span["op"] == "http.client"
    assert span["description"] == f"GET {geocoder_url}/search"
    assert span["parent_span_id"] == transaction.span_id
    assert span["data"]["http.query"] == "city=Dakar&format=json"
    assert span["data"]["http.response.status_code"] == 200
    assert_payload(
        "performance/outgoing_http",
        trim(
            recorder.transactions()[0],
            "transaction",
            *SPANS,
            "spans[].data.http.method",
            "spans[].data.http.query",
            "spans[].data.http.response.status_code",
        ),
    )


def test_span_description_is_deprecated(sentry_init, recorder):
    sentry_init(traces_sample_rate=1.0)

    with sentry_sdk.start_transaction(op="task", name="Old style"):
        with pytest.warns(DeprecationWarning, match="Please use `name` instead"):
            with sentry_sdk.start_span(op="fasts.load", description="Load fasts"):
                pass

    (span,) = recorder.spans(op="fasts.load")
    assert span["description"] == "Load fasts"


@pytest.mark.django_db
def test_request_transaction_has_db_and_redis_spans(
    sentry_init, recorder, redis_url, assert_payload, wsgi
):
    sentry_init(traces_sample_rate=1.0)
    fast = create_fast(1447, PARIS_AND_CAIRO)  # the Testing page's fast: one recording for both

    assert wsgi.get(map_url(fast)).status == 200

    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == MAP_ROUTE
    assert transaction["contexts"]["trace"]["op"] == "http.server"
    assert {"db", "db.redis", "map.build", "event.django"} <= set(ops(transaction["spans"]))
    assert [span["description"] for span in recorder.spans(op="db")] == [
        'SELECT "hub_fast"."id", "hub_fast"."name", "hub_fast"."starts_on", "hub_fast"."ends_on" '
        'FROM "hub_fast" WHERE "hub_fast"."id" = %s LIMIT 21',
        'SELECT "hub_participant"."city" AS "city", COUNT("hub_participant"."id") AS "count", '
        '(CAST(AVG("hub_participant"."latitude") AS NUMERIC)) AS "lat", '
        '(CAST(AVG("hub_participant"."longitude") AS NUMERIC)) AS "lng" '
        'FROM "hub_participant" WHERE "hub_participant"."fast_id" = %s '
        "GROUP BY 1 ORDER BY 1 ASC",
    ]
    # Off by default: cache spans, middleware spans and the view's render span.
    assert not {"cache.get", "cache.put", "middleware.django", "view.render"} & set(
        ops(transaction["spans"])
    )
    assert_payload("testing/transaction", trim(transaction, *TRANSACTION, *SPANS))


@pytest.mark.django_db
def test_middleware_spans_when_enabled(
    sentry_init, recorder, redis_url, settings, assert_payload, wsgi
):
    sentry_init(traces_sample_rate=1.0, integrations=middleware_spans.INTEGRATIONS)
    fast = create_fast(1, PARIS_AND_CAIRO)

    wsgi.get(map_url(fast))

    (transaction,) = recorder.transactions()
    middleware_names = {span["description"] for span in recorder.spans(op="middleware.django")}
    assert middleware_names == {
        *(f"{middleware}.__call__" for middleware in settings.MIDDLEWARE),
        "django.middleware.csrf.CsrfViewMiddleware.process_view",
    }
    (render,) = recorder.spans(op="view.render")
    assert render["description"] == "fast-participants-map"
    assert "cache.get" not in ops(transaction["spans"])
    assert_payload(
        "performance/middleware_spans",
        trim(transaction, *SPANS),
    )


@pytest.mark.django_db
def test_sample_rate_per_environment(sentry_init, recorder, redis_url, assert_payload, wsgi):
    development = environ_from(SNIPPETS / "development.env")
    sentry_init(environ=development)

    wsgi.get(map_url(create_fast(1, PARIS_AND_CAIRO)))

    # Every request is traced in development.
    ((transaction, trace_header),) = recorder.traced()
    assert trace_header["environment"] == transaction["environment"] == "development"
    assert trace_header["sample_rate"] == "1.0"
    assert trace_header["sampled"] == "true"
    assert_payload(
        "performance/sample_rate_development",
        trim({"trace": trace_header}, "trace.environment", "trace.sample_rate", "trace.sampled"),
    )


def test_sample_rate_in_production_and_by_default(sentry_init):
    production = environ_from(SNIPPETS / "heroku_config.sh")
    assert production == {"SENTRY_ENVIRONMENT": "production", "SENTRY_TRACES_SAMPLE_RATE": "0.05"}
    sentry_init(environ=production)
    assert sentry_sdk.get_client().options["traces_sample_rate"] == 0.05
    with sentry_sdk.start_transaction(op="task", name="Sampled at the production rate") as span:
        assert span.sample_rate == 0.05
    sentry_sdk.get_client().close()

    sentry_init(environ={"SENTRY_TRACES_SAMPLE_RATE": ""})
    assert sentry_sdk.get_client().options["traces_sample_rate"] == 0.1


@pytest.mark.django_db
def test_no_sample_rate_means_no_transactions(sentry_init, recorder, wsgi):
    sentry_init(traces_sample_rate=None)

    with sentry_sdk.start_transaction(op="task", name="Never sent"):
        with sentry_sdk.start_span(op="fasts.load", name="Load fasts"):
            pass
    response = wsgi.get("/sentry-debug/")

    assert response.status == 500
    assert recorder.transactions() == []
    # Errors are still reported.
    (event,) = recorder.events()
    assert event["exception"]["values"][0]["type"] == "ZeroDivisionError"


@pytest.mark.django_db
def test_without_a_sampler_every_route_is_traced(sentry_init, recorder, wsgi):
    sentry_init(traces_sample_rate=1.0)

    assert wsgi.get("/health/").status == 200
    assert wsgi.get("/admin/").status == 302

    assert [t["transaction"] for t in recorder.transactions()] == ["/health/", "/admin/"]


@pytest.mark.django_db
def test_traces_sampler_drops_health_checks_and_admin(
    sentry_init, recorder, redis_url, assert_payload, wsgi
):
    sentry_init(traces_sample_rate=1.0, traces_sampler=traces_sampler.traces_sampler)
    fast = create_fast(1, PARIS_AND_CAIRO)

    assert wsgi.get("/health/").status == 200
    assert wsgi.get("/admin/").status == 302
    assert wsgi.get(map_url(fast)).status == 200

    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == MAP_ROUTE
    health_check = {"wsgi_environ": {"PATH_INFO": "/health/"}, "parent_sampled": None}
    assert traces_sampler.traces_sampler(health_check) == 0.0  # a rate, not an invalid value
    assert_payload(
        "performance/traces_sampler",
        {
            "transactions": [
                trim(t, "transaction", "contexts.trace.op") for t in recorder.transactions()
            ]
        },
    )


@pytest.mark.django_db(transaction=True)
def test_traces_sampler_sees_the_celery_task_name(sentry_init, recorder, celery_worker):
    seen_jobs, rates = [], []

    def recording_sampler(sampling_context):
        seen_jobs.append(sampling_context["celery_job"])
        rates.append(traces_sampler.traces_sampler(sampling_context))
        return rates[-1]

    # The environment's rate is 0: only ALWAYS_TRACED_TASKS are traced.
    sentry_init(traces_sample_rate=0.0, traces_sampler=recording_sampler)

    send_daily_fast_notifications.delay()
    update_fast_maps.delay()  # the solo worker runs tasks in order: this one finishes last
    recorder.wait_for(lambda r: r.transactions())

    assert seen_jobs == [
        {"task": "hub.tasks.send_daily_fast_notifications", "args": [], "kwargs": {}},
        {"task": "hub.tasks.update_fast_maps", "args": [], "kwargs": {}},
    ]
    assert rates == [0.0, 1.0]  # the environment's rate, then ALWAYS_TRACED_TASKS
    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == "hub.tasks.update_fast_maps"
    assert transaction["contexts"]["trace"]["op"] == "queue.task.celery"


@pytest.mark.django_db(transaction=True)
def test_traces_sampler_keeps_a_traced_callers_tasks(sentry_init, recorder, celery_worker):
    sentry_init(traces_sample_rate=0.0, traces_sampler=traces_sampler.traces_sampler)

    with sentry_sdk.start_transaction(op="task", name="Untraced caller", sampled=False):
        send_daily_fast_notifications.delay()
    with sentry_sdk.start_transaction(op="task", name="Traced caller", sampled=True) as caller:
        send_daily_fast_notifications.delay()
    recorder.wait_for(lambda r: len(r.transactions()) == 2)

    by_name = {t["transaction"]: t for t in recorder.transactions()}
    assert by_name.keys() == {"Traced caller", "hub.tasks.send_daily_fast_notifications"}
    task = by_name["hub.tasks.send_daily_fast_notifications"]
    assert task["contexts"]["trace"]["trace_id"] == caller.trace_id


@pytest.mark.django_db
def test_signal_spans_off(sentry_init, recorder, redis_url, assert_payload, wsgi):
    sentry_init(traces_sample_rate=1.0, integrations=signals_spans.INTEGRATIONS)
    fast = create_fast(1, PARIS_AND_CAIRO)

    assert wsgi.get(map_url(fast)).status == 200

    (transaction,) = recorder.transactions()
    assert transaction["transaction"] == MAP_ROUTE
    # On by default: see the request's transaction.
    assert spans_of(transaction, "event.django") == []
    assert {"db", "db.redis", "map.build"} <= set(ops(transaction["spans"]))
    assert_payload(
        "performance/signals_spans",
        trim(transaction, "transaction", *SPANS),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hook", [None, before_send_transaction.before_send_transaction], ids=["without", "with"]
)
def test_before_send_transaction_drops_a_transaction_without_spans(
    sentry_init, recorder, redis_url, hook, assert_payload, wsgi
):
    sentry_init(
        traces_sample_rate=1.0,
        integrations=signals_spans.INTEGRATIONS,
        before_send_transaction=hook,
    )
    fast = create_fast(1, PARIS_AND_CAIRO)

    assert wsgi.get("/admin/").status == 302
    assert wsgi.get(map_url(fast)).status == 200

    sent = recorder.transactions()
    if hook is None:  # the redirect's transaction holds no span once signal spans are off
        assert [(t["transaction"], bool(t["spans"])) for t in sent] == [
            ("/admin/", False),
            (MAP_ROUTE, True),
        ]
    else:
        assert [t["transaction"] for t in sent] == [MAP_ROUTE]
        assert_payload(
            "performance/before_send_transaction",
            {"transactions": [trim(t, "transaction", "spans[].op") for t in sent]},
        )
