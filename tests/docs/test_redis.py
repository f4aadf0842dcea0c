"""docs/redis.md"""

import json
from datetime import datetime, timedelta
import time

import pytest
import redis
import sentry_sdk

from harness.beat import apply_beat_entries
from harness.payload_files import trim
from sentry_recorder import ops
from snippets.redis import cache_prefixes, cache_spans, django_cache


@pytest.fixture
def fast(db):
    from hub.models import Fast

    fast = Fast.objects.create(name="Ramadan", starts_on="2027-02-08", ends_on="2027-03-09")
    fast.participants.create(
        display_name="Amina",
        email="amina@example.org",
        city="Dakar",
        latitude="14.71670",
        longitude="-17.46770",
    )
    return fast


# Each cache span wraps the Redis command that served it: a miss (GET), the store (SET), a hit.
MISS_THEN_HIT = ["cache.get", "db.redis", "cache.put", "db.redis", "cache.get", "db.redis"]


def spans_payload(spans):
    """Each span's op and description, and for cache spans the key and hit or miss."""
    return [
        {
            "op": span["op"],
            "description": span["description"],
            **{
                f"data.{name}": span["data"][name]
                for name in ("cache.key", "cache.hit")
                if name in span["data"]
            },
        }
        for span in spans
    ]


CLOCK_READ_SLACK = timedelta(milliseconds=50)
at = datetime.fromisoformat


def assert_cache_spans_wrap_redis_spans(spans):
    """Each cache span is the parent of the Redis command that served it, and wraps it."""
    by_id = {span["span_id"]: span for span in spans}
    cache_spans = [span for span in spans if span["op"].startswith("cache.")]
    assert cache_spans
    for cache_span in cache_spans:
        (redis_span,) = [s for s in spans if s["parent_span_id"] == cache_span["span_id"]]
        assert redis_span["op"] == "db.redis"
        assert cache_span["start_timestamp"] <= redis_span["start_timestamp"]
        # The SDK reads a span's wall-clock start and its monotonic clock one after the other, and
        # ends it at start + monotonic duration: a preemption between the two reads (a loaded
        # machine) can end the parent a few milliseconds before its child.
        assert at(redis_span["timestamp"]) <= at(cache_span["timestamp"]) + CLOCK_READ_SLACK
        assert not by_id.get(cache_span["parent_span_id"], {}).get("op", "").startswith("db.")


def test_django_cache_commands_become_redis_spans(
    sentry_init, recorder, redis_url, fast, assert_payload
):
    sentry_init(traces_sample_rate=1.0)

    with sentry_sdk.start_transaction(name="fast-name"):
        assert django_cache.fast_name(fast) == "Ramadan"  # miss: GET, then SET
        assert django_cache.fast_name(fast) == "Ramadan"  # hit: GET

    key = f":1:fast:{fast.id}:name"  # Django's cache adds its key prefix and version
    spans = recorder.spans()
    assert [(s["op"], s["description"]) for s in spans] == [
        ("db.redis", f"GET '{key}'"),
        ("db.redis", f"SET '{key}'"),
        ("db.redis", f"GET '{key}'"),
    ]
    assert {s["data"]["db.system"] for s in spans} == {"redis"}
    # The cached value is not sent, and neither is whether a GET found anything.
    assert "Ramadan" not in json.dumps(spans)
    assert not [s for s in spans if "cache.hit" in s.get("data", {})]
    assert_payload("redis/django_cache", spans_payload(spans))


def test_cache_spans_say_hit_or_miss(sentry_init, recorder, redis_url, fast, assert_payload):
    sentry_init(traces_sample_rate=1.0, integrations=cache_spans.INTEGRATIONS)

    with sentry_sdk.start_transaction(name="fast-name"):
        django_cache.fast_name(fast)
        django_cache.fast_name(fast)

    cache_ops = [
        (s["op"], s["description"], s["data"].get("cache.hit"))
        for s in recorder.spans()
        if s["op"].startswith("cache.")
    ]
    key = f"fast:{fast.id}:name"
    assert cache_ops == [
        ("cache.get", key, False),
        ("cache.put", key, None),
        ("cache.get", key, True),
    ]
    # Each cache span wraps the Redis command that served it: the db.redis span is its child.
    assert ops(recorder.spans()) == MISS_THEN_HIT
    assert_cache_spans_wrap_redis_spans(recorder.spans())
    assert "Ramadan" not in json.dumps(recorder.spans())
    assert_payload("redis/cache_spans", spans_payload(recorder.spans()))


def test_cache_prefixes_for_raw_redis(sentry_init, recorder, redis_url, assert_payload):
    sentry_init(traces_sample_rate=1.0, integrations=cache_prefixes.INTEGRATIONS)

    with sentry_sdk.start_transaction(name="online"):
        assert cache_prefixes.online_participants(3) == 0
        assert cache_prefixes.online_participants(3) == 0

    cache_ops = [
        (s["op"], s["description"], s["data"].get("cache.hit"))
        for s in recorder.spans()
        if s["op"].startswith("cache.")
    ]
    assert cache_ops == [
        ("cache.get", "online:3", False),
        ("cache.put", "online:3", None),
        ("cache.get", "online:3", True),
    ]
    assert ops(recorder.spans()) == MISS_THEN_HIT
    assert_cache_spans_wrap_redis_spans(recorder.spans())
    assert_payload("redis/cache_prefixes", spans_payload(recorder.spans()))


def test_cache_prefixes_leave_other_keys_alone(sentry_init, recorder, redis_url):
    import redis

    sentry_init(traces_sample_rate=1.0, integrations=cache_prefixes.INTEGRATIONS)

    with sentry_sdk.start_transaction(name="other"):
        redis.Redis.from_url(redis_url).get("leaderboard:3")

    assert [s["op"] for s in recorder.spans()] == ["db.redis"]


@pytest.mark.django_db
def test_map_view_on_a_miss_then_a_hit(
    sentry_init, recorder, redis_url, fast, wsgi, assert_payload
):
    sentry_init(traces_sample_rate=1.0, integrations=cache_spans.INTEGRATIONS)
    url = f"/api/fasts/{fast.id}/participants/map/"

    assert wsgi.get(url).status == 200  # miss: the map is built and cached
    assert wsgi.get(url).status == 200  # hit

    miss, hit = recorder.transactions()
    for transaction in (miss, hit):
        assert transaction["transaction"] == "/api/fasts/{fast_id}/participants/map/"
    key = f"fast:{fast.id}:participants-map"
    ops = lambda t: [s["op"] for s in t["spans"] if s["op"] != "event.django"]  # noqa: E731
    assert ops(miss) == ["db", "cache.get", "db.redis", "map.build", "db", "cache.put", "db.redis"]
    assert ops(hit) == ["db", "cache.get", "db.redis"]  # the fast's SELECT, then the hit
    assert [s["data"].get("cache.hit") for s in miss["spans"] if s["op"] == "cache.get"] == [False]
    assert [s["data"].get("cache.hit") for s in hit["spans"] if s["op"] == "cache.get"] == [True]
    assert {s["description"] for s in miss["spans"] if s["op"].startswith("cache.")} == {key}
    for transaction in (miss, hit):
        assert_cache_spans_wrap_redis_spans(transaction["spans"])
    assert_payload(
        "redis/map_view",
        {
            name: {
                **trim(t, "transaction"),
                "spans": spans_payload([s for s in t["spans"] if s["op"] != "event.django"]),
            }
            for name, t in (("miss", miss), ("hit", hit))
        },
    )


def test_sdk_defaults_filter_the_values(sentry_init, recorder, redis_url, fast):
    sentry_init(traces_sample_rate=1.0, data_collection=None)  # the SDK's defaults, not bahk's

    with sentry_sdk.start_transaction(name="fast-name"):
        django_cache.fast_name(fast)

    key = f":1:fast:{fast.id}:name"
    assert [s["description"] for s in recorder.spans(op="db.redis")] == [
        f"GET '{key}'",
        f"SET '{key}' [Filtered] [Filtered] [Filtered]",
    ]


def assert_expires_after(redis_url: str, key: str, seconds: int, set_after: float) -> None:
    """`key` was set, at or after `set_after` (time.monotonic()), to expire `seconds` later."""
    remaining_ms = redis.Redis.from_url(redis_url).pttl(key)
    elapsed_ms = (time.monotonic() - set_after) * 1000
    assert seconds * 1000 - elapsed_ms - 1 <= remaining_ms <= seconds * 1000


def test_the_fast_name_is_cached_for_a_day(redis_url, fast):
    from django.core.cache import cache

    set_after = time.monotonic()
    django_cache.fast_name(fast)

    assert_expires_after(redis_url, cache.make_key(f"fast:{fast.id}:name"), 24 * 3600, set_after)


def test_the_online_count_is_cached_for_30_seconds(redis_url):
    set_after = time.monotonic()
    cache_prefixes.online_participants(3)

    assert_expires_after(redis_url, "online:3", 30, set_after)
