"""docs/real-world-example.md: FastParticipantsMapView, from the example app's own code."""

import pytest
from django.core.cache import cache
from django.db import connection

from factories import create_fast
from hub.maps import map_cache_key
from hub.models import Fast
from payloads import trim
from wsgi_client import WSGIClient

MAP_ROUTE = "/api/fasts/{fast_id}/participants/map/"
CITIES = [("Paris", 48.85, 2.35), ("Paris", 48.86, 2.34), ("Cairo", 30.04, 31.24)]


@pytest.fixture
def fast() -> Fast:
    """Ramadan 2026 with three participants in two cities."""
    return create_fast(1, CITIES)


@pytest.fixture
def app(sentry_init, redis_url) -> WSGIClient:
    """The real WSGI application, with the example app's Sentry options and every request traced."""
    sentry_init(traces_sample_rate=1.0)
    return WSGIClient()


def spans_by_op(transaction: dict, op: str) -> list[dict]:
    return [span for span in transaction["spans"] if span["op"] == op]


def ops(spans: list[dict]) -> list[str]:
    return [span["op"] for span in spans]


def children(transaction: dict, span_id: str) -> list[dict]:
    return [span for span in transaction["spans"] if span["parent_span_id"] == span_id]


TRANSACTION_FIELDS = (
    "transaction",
    "contexts.trace.op",
    "contexts.trace.status",
    "tags",
    "spans[].op",
    "spans[].description",
)


@pytest.mark.django_db
def test_cache_miss_then_hit(app, fast, recorder, assert_payload):
    first = app.get(MAP_ROUTE.format(fast_id=fast.id))
    second = app.get(MAP_ROUTE.format(fast_id=fast.id))

    assert first.status == second.status == 200
    assert first.json() == second.json()
    assert first.json()["points"] == [
        {"city": "Cairo", "count": 1, "lat": 30.04, "lng": 31.24},
        {"city": "Paris", "count": 2, "lat": 48.85, "lng": 2.35},
    ]
    # Success sends transactions only: no error event, and so no breadcrumbs.
    assert recorder.events() == []
    miss, hit = recorder.transactions()
    for transaction in (miss, hit):
        assert transaction["transaction"] == MAP_ROUTE
        assert transaction["tags"]["fast_id"] == fast.id
        assert transaction["contexts"]["participants_map"] == {"points": 2, "participants": 3}
        assert "breadcrumbs" not in transaction

    # Miss: read Redis, load the fast, then build (SQL aggregate) and store (Redis SET).
    root = miss["contexts"]["trace"]["span_id"]
    top_level = [s for s in children(miss, root) if s["op"] != "event.django"]
    assert ops(top_level) == ["db.redis", "db", "map.build"]
    redis_get, load_fast, build = top_level
    assert redis_get["description"] == "GET ':1:fast:1:participants-map'"
    assert load_fast["description"].startswith('SELECT "hub_fast"."id"')
    assert build["description"] == "Build participants map"
    assert build["data"]["points"] == 2
    inside_build = children(miss, build["span_id"])
    assert ops(inside_build) == ["db", "db.redis"]
    assert inside_build[0]["description"].startswith('SELECT "hub_participant"."city"')
    assert inside_build[1]["description"].startswith("SET ':1:fast:1:participants-map'")
    assert miss["contexts"]["fast"] == {
        "name": "Ramadan 2026",
        "starts_on": "2026-02-18",
        "ends_on": "2026-03-19",
    }

    # Hit: one Redis GET, no SQL, no build, and no `fast` context (the fast was never loaded).
    assert [s for s in ops(hit["spans"]) if s != "event.django"] == ["db.redis"]
    assert "fast" not in hit["contexts"]

    assert_payload(
        "real_world_example/cache_miss",
        trim(
            miss,
            *TRANSACTION_FIELDS,
            "contexts.fast",
            "contexts.participants_map",
            "spans[].data.points",
        ),
    )
    assert_payload(
        "real_world_example/cache_hit",
        trim(hit, *TRANSACTION_FIELDS, "contexts.participants_map"),
    )


@pytest.mark.django_db
def test_a_successful_request_records_breadcrumbs_it_never_sends(
    sentry_init, redis_url, fast, recorder
):
    recorded = []

    def before_breadcrumb(crumb, hint):
        recorded.append(crumb["category"])
        return crumb

    # Errors only, as a request that is not sampled runs: the breadcrumbs are still recorded.
    sentry_init(traces_sample_rate=None, before_breadcrumb=before_breadcrumb)
    wsgi = WSGIClient()

    assert wsgi.get(MAP_ROUTE.format(fast_id=fast.id)).status == 200

    # Work done on every request (part of the fixed cost), for nothing sent.
    assert recorded == ["map", "redis", "map", "query", "query", "redis"]
    assert recorder.events() == recorder.transactions() == []


@pytest.mark.django_db
def test_unknown_fast_is_a_404_that_sends_nothing(app, recorder):
    response = app.get(MAP_ROUTE.format(fast_id=999))

    assert response.status == 404
    # No error event for Http404, and bahk's before_send_transaction drops 404 transactions.
    assert recorder.items("event") == recorder.items("transaction") == []


@pytest.mark.django_db
def test_database_failure_while_building_the_map(app, fast, recorder, assert_payload):
    # The database fails mid-request, as a statement timeout or a missing migration would.
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE hub_participant")

    response = app.get(MAP_ROUTE.format(fast_id=fast.id))

    assert response.status == 500
    (event,) = recorder.events()
    exception = event["exception"]["values"][-1]
    assert exception["type"] == "OperationalError"
    assert exception["module"] == "django.db.utils"
    assert exception["value"] == "no such table: hub_participant"
    assert exception["mechanism"] == {"type": "django", "handled": False}
    assert event["exception"]["values"][0]["module"] == "sqlite3"  # the cause, chained
    assert event["transaction"] == MAP_ROUTE
    assert event["tags"]["fast_id"] == fast.id
    assert event["contexts"]["fast"] == {
        "name": "Ramadan 2026",
        "starts_on": "2026-02-18",
        "ends_on": "2026-03-19",
    }
    # The map never existed, so its context was never set.
    assert "participants_map" not in event["contexts"]
    crumbs = [(c["category"], c["message"]) for c in event["breadcrumbs"]["values"]]
    assert crumbs[:3] == [
        ("map", "Participants map requested for fast 1"),
        ("redis", "GET ':1:fast:1:participants-map'"),
        ("map", "Map cache miss: rebuilding"),
    ]
    assert [category for category, _ in crumbs[3:]] == ["query", "query"]
    assert crumbs[3][1].startswith('SELECT "hub_fast"."id"')
    assert crumbs[4][1].startswith('SELECT "hub_participant"."city"')

    (transaction,) = recorder.transactions()
    assert transaction["contexts"]["trace"]["status"] == "internal_error"
    assert transaction["contexts"]["trace"]["trace_id"] == event["contexts"]["trace"]["trace_id"]
    (build,) = spans_by_op(transaction, "map.build")
    assert build["status"] == "internal_error"
    (failed_query,) = children(transaction, build["span_id"])
    assert failed_query["op"] == "db"
    assert failed_query["status"] == "internal_error"

    assert_payload(
        "real_world_example/failure_event",
        trim(
            event,
            "transaction",
            "tags",
            "contexts.fast",
            "breadcrumbs.values[].category",
            "breadcrumbs.values[].message",
            "exception.values[].type",
            "exception.values[].module",
            "exception.values[].value",
            "exception.values[].mechanism",
        ),
    )
    assert_payload(
        "real_world_example/failure_transaction",
        trim(transaction, *TRANSACTION_FIELDS, "contexts.fast", "spans[].status"),
    )


@pytest.mark.django_db
def test_cache_entry_from_an_older_release(app, fast, recorder, assert_payload):
    # A previous release cached maps without "total": the hit path fails on it.
    cache.set(map_cache_key(fast.id), {"fast": {"id": fast.id, "name": fast.name}, "points": []})

    response = app.get(MAP_ROUTE.format(fast_id=fast.id))

    assert response.status == 500
    (event,) = recorder.events()
    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("KeyError", "'total'")
    assert event["tags"]["fast_id"] == fast.id
    assert "fast" not in event["contexts"]
    assert [(c["category"], c["message"]) for c in event["breadcrumbs"]["values"]] == [
        ("map", "Participants map requested for fast 1"),
        ("redis", "GET ':1:fast:1:participants-map'"),
        ("map", "Map served from cache"),
    ]
    (transaction,) = recorder.transactions()
    assert "map.build" not in ops(transaction["spans"])
    assert_payload(
        "real_world_example/stale_cache_event",
        trim(
            event,
            "transaction",
            "tags",
            "breadcrumbs.values[].category",
            "breadcrumbs.values[].message",
            "exception.values[].type",
            "exception.values[].value",
        ),
    )
