"""docs/real-world-example.md: FastParticipantsMapView, from the example app's own code."""

import time

import pytest
import redis
from django.core.cache import cache
from django.db import connection

import bahk.sentry
from harness.factories import create_fast
from harness.fields import BREADCRUMBS, SPANS, TRANSACTION
from harness.payload_files import trim
from harness.redis_server import redis_server
from harness.wsgi_client import WSGIClient
from hub.maps import map_cache_key
from hub.models import Fast
from sentry_recorder import children_of, ops, spans_of

MAP_ROUTE = "/api/fasts/{fast_id}/participants/map/"
CITIES = [("Paris", 48.85, 2.35), ("Paris", 48.86, 2.34), ("Cairo", 30.04, 31.24)]


@pytest.fixture
def fast() -> Fast:
    """Ramadan 2026 with three participants in two cities."""
    return create_fast(1, CITIES)


@pytest.fixture
def app(sentry_init, redis_url, wsgi) -> WSGIClient:
    """The real WSGI application, with the example app's Sentry options and every request traced."""
    sentry_init(traces_sample_rate=1.0)
    return wsgi


TRANSACTION_FIELDS = (
    *TRANSACTION,
    "tags",
    *SPANS,
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

    # Miss: load the fast, read Redis, then build (SQL aggregate) and store (Redis SET).
    top_level = [
        s for s in children_of(miss, miss["contexts"]["trace"]) if s["op"] != "event.django"
    ]
    assert ops(top_level) == ["db", "db.redis", "map.build", "db.redis"]
    load_fast, redis_get, build, redis_set = top_level
    assert load_fast["description"].startswith('SELECT "hub_fast"."id"')
    assert redis_get["description"] == "GET ':1:fast:1:participants-map'"
    assert build["description"] == "Build participants map"
    assert build["data"]["points"] == 2
    (aggregate,) = children_of(miss, build)
    assert aggregate["op"] == "db"
    assert aggregate["description"].startswith('SELECT "hub_participant"."city"')
    assert redis_set["description"].startswith("SET ':1:fast:1:participants-map'")
    for transaction in (miss, hit):
        assert transaction["contexts"]["fast"] == {
            "name": "Ramadan 2026",
            "starts_on": "2026-02-18",
            "ends_on": "2026-03-19",
        }

    # Hit: the fast's SELECT and one Redis GET; no aggregate, no build, no SET.
    hit_spans = [s for s in hit["spans"] if s["op"] != "event.django"]
    assert ops(hit_spans) == ["db", "db.redis"]
    assert hit_spans[1]["description"] == "GET ':1:fast:1:participants-map'"

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
        trim(hit, *TRANSACTION_FIELDS, "contexts.fast", "contexts.participants_map"),
    )


@pytest.mark.django_db
def test_the_map_names_its_fast_and_is_cached_for_an_hour(app, fast, redis_url):
    set_after = time.monotonic()
    response = app.get(MAP_ROUTE.format(fast_id=fast.id))

    assert response.json()["fast"] == {"id": fast.id, "name": "Ramadan 2026"}
    key = cache.make_key(map_cache_key(fast.id))  # as Django's cache stores it in Redis
    remaining_ms = redis.Redis.from_url(redis_url).pttl(key)
    elapsed_ms = (time.monotonic() - set_after) * 1000
    assert 3600 * 1000 - elapsed_ms - 1 <= remaining_ms <= 3600 * 1000


@pytest.mark.django_db
def test_a_successful_request_records_breadcrumbs_it_never_sends(
    sentry_init, redis_url, fast, recorder, wsgi
):
    recorded = []

    def before_breadcrumb(crumb, hint):
        recorded.append(crumb["category"])
        return crumb

    # Errors only, as a request that is not sampled runs: the breadcrumbs are still recorded.
    sentry_init(traces_sample_rate=None, before_breadcrumb=before_breadcrumb)

    assert wsgi.get(MAP_ROUTE.format(fast_id=fast.id)).status == 200  # a cache miss
    miss = list(recorded)
    recorded.clear()
    assert wsgi.get(MAP_ROUTE.format(fast_id=fast.id)).status == 200  # a cache hit

    # Work done on every request (part of the fixed cost), for nothing sent: the view's own
    # "map" breadcrumbs, and one for each SQL query and Redis command from the integrations.
    assert miss == ["map", "query", "redis", "map", "query", "redis"]
    assert recorded == ["map", "query", "redis", "map"]
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
    assert [category for category, _ in crumbs] == ["map", "query", "redis", "map", "query"]
    assert crumbs[0][1] == "Participants map requested for fast 1"
    assert crumbs[1][1].startswith('SELECT "hub_fast"."id"')
    assert crumbs[2][1] == "GET ':1:fast:1:participants-map'"
    assert crumbs[3][1] == "Map cache miss: rebuilding"
    assert crumbs[4][1].startswith('SELECT "hub_participant"."city"')

    (transaction,) = recorder.transactions()
    assert transaction["contexts"]["trace"]["status"] == "internal_error"
    assert transaction["contexts"]["trace"]["trace_id"] == event["contexts"]["trace"]["trace_id"]
    (build,) = spans_of(transaction, "map.build")
    assert build["status"] == "internal_error"
    (failed_query,) = children_of(transaction, build)
    assert failed_query["op"] == "db"
    assert failed_query["status"] == "internal_error"

    assert_payload(
        "real_world_example/failure_event",
        trim(
            event,
            "transaction",
            "tags",
            "contexts.fast",
            *BREADCRUMBS,
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
    assert event["contexts"]["fast"]["name"] == "Ramadan 2026"
    crumbs = [(c["category"], c["message"]) for c in event["breadcrumbs"]["values"]]
    assert [category for category, _ in crumbs] == ["map", "query", "redis", "map"]
    assert crumbs[2:] == [
        ("redis", "GET ':1:fast:1:participants-map'"),
        ("map", "Map served from cache"),
    ]
    (transaction,) = recorder.transactions()
    assert spans_of(transaction, "map.build") == []
    assert_payload(
        "real_world_example/stale_cache_event",
        trim(
            event,
            "transaction",
            "tags",
            *BREADCRUMBS,
            "exception.values[].type",
            "exception.values[].value",
        ),
    )


@pytest.fixture
def redis_down(settings, monkeypatch) -> None:
    """Django's cache on a Redis server that ran and was stopped."""
    monkeypatch.delenv("REDIS_URL", raising=False)  # a server of our own, to stop
    with redis_server() as url:
        assert redis.Redis.from_url(url).ping()
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }


@pytest.mark.django_db
def test_redis_down_the_map_comes_from_the_database(
    sentry_init, redis_down, fast, recorder, assert_payload, wsgi
):
    sentry_init(traces_sample_rate=1.0)

    first = wsgi.get(MAP_ROUTE.format(fast_id=fast.id))
    second = wsgi.get(MAP_ROUTE.format(fast_id=fast.id))
    unknown = wsgi.get(MAP_ROUTE.format(fast_id=999))

    assert first.status == second.status == 200
    assert (
        first.json()["points"]
        == second.json()["points"]
        == [
            {"city": "Cairo", "count": 1, "lat": 30.04, "lng": 31.24},
            {"city": "Paris", "count": 2, "lat": 48.85, "lng": 2.35},
        ]
    )
    assert unknown.status == 404  # looked up before the cache: a 404, not a 500

    # One event says Redis is down; the second request, a moment later, sends none.
    (event,) = recorder.events()
    assert event["logger"] == "hub.views.fast"
    assert event["logentry"]["message"] == "Map cache unavailable, map built from the database"
    exception = event["exception"]["values"][-1]
    assert (exception["module"], exception["type"]) == ("redis.exceptions", "ConnectionError")
    assert exception["mechanism"] == {"type": "logging", "handled": True}
    assert event["tags"]["map_cache"] == "unavailable"

    crumbs = [(c["category"], c["message"]) for c in event["breadcrumbs"]["values"]]
    assert [category for category, _ in crumbs] == ["map", "query", "redis"]
    assert crumbs[2][1] == "GET ':1:fast:1:participants-map'"

    # Every degraded request is tagged, and its transaction is a success.
    degraded = recorder.transactions()
    assert len(degraded) == 2  # the 404's transaction is dropped
    for transaction in degraded:
        assert transaction["tags"]["map_cache"] == "unavailable"
        assert transaction["contexts"]["trace"]["status"] == "ok"
        spans = [s for s in transaction["spans"] if s["op"] != "event.django"]
        # No span for the failed GET: sentry-sdk 2.75 closes a Redis command's span only when
        # the command succeeds, so the spans after it hang from a span that never arrives.
        assert ops(spans) == ["db", "map.build", "db"]
        sent = {s["span_id"] for s in transaction["spans"]}
        assert spans[1]["parent_span_id"] not in sent | {
            transaction["contexts"]["trace"]["span_id"]
        }
    assert_payload(
        "real_world_example/redis_down_event",
        trim(
            event,
            "logger",
            "level",
            "logentry.message",
            "tags",
            *BREADCRUMBS,
            "exception.values[].type",
            "exception.values[].value",
        ),
    )
    assert_payload(
        "real_world_example/redis_down_transaction",
        trim(degraded[1], *TRANSACTION_FIELDS),
    )


@pytest.mark.django_db
def test_redis_down_for_ten_minutes_sends_a_second_event(
    sentry_init, redis_down, fast, recorder, wsgi
):
    sentry_init(traces_sample_rate=None)

    def sent_earlier(seconds):
        for log, sent_at in bahk.sentry._redis_outage_reported_at.items():
            bahk.sentry._redis_outage_reported_at[log] = sent_at - seconds

    assert wsgi.get(MAP_ROUTE.format(fast_id=fast.id)).status == 200
    assert len(recorder.events()) == 1
    # As if the first event had been sent 9 minutes 55 seconds ago: still no second one.
    sent_earlier(10 * 60 - 5)
    assert wsgi.get(MAP_ROUTE.format(fast_id=fast.id)).status == 200
    assert len(recorder.events()) == 1
    # As if it had been sent 10 minutes ago.
    sent_earlier(5)

    assert wsgi.get(MAP_ROUTE.format(fast_id=fast.id)).status == 200
    assert wsgi.get(MAP_ROUTE.format(fast_id=fast.id)).status == 200

    assert len(recorder.events()) == 2
