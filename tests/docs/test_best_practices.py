"""docs/best-practices.md"""

import pytest
import redis
import sentry_sdk
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness.factories import create_fast
from harness.payload_files import trim
from harness.ports import free_port
from snippets.best_practices import fingerprint


def closed_loopback_url() -> str:
    """A Redis URL on a loopback port where nothing listens: connections are refused."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.mark.django_db
def test_fingerprint_groups_redis_outages(sentry_init, recorder, settings, assert_payload, wsgi):
    sentry_init(traces_sample_rate=0.0, before_send=fingerprint.group_redis_outages)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": closed_loopback_url(),
        }
    }
    create_fast(1, [("Oslo", 59.91, 10.75)])

    # 1. Logged, in a view: the map's cache lookup fails; the map comes from the database.
    assert wsgi.get("/api/fasts/1/participants/map/").status == 200
    # 2. Handled, elsewhere: a direct redis-py call, over a Unix socket that is not there.
    try:
        no_retries = Retry(NoBackoff(), retries=0)  # fail at once instead of backing off
        redis.Redis(unix_socket_path="/run/redis/redis-server.sock", retry=no_retries).ping()
    except redis.exceptions.ConnectionError:
        sentry_sdk.capture_exception()
    # 3. Not a Redis error: left to Sentry's default grouping.
    try:
        int("many")
    except ValueError:
        sentry_sdk.capture_exception()

    from_view, from_ping, other = recorder.events()
    messages = [e["exception"]["values"][-1]["value"] for e in (from_view, from_ping)]
    assert messages[0] != messages[1]
    assert "Connection refused" in messages[0]
    assert "No such file or directory" in messages[1]
    assert from_view["fingerprint"] == from_ping["fingerprint"] == ["redis-unavailable"]
    assert from_view["exception"]["values"][-1]["mechanism"] == {"type": "logging", "handled": True}
    assert from_ping["exception"]["values"][-1]["mechanism"]["handled"] is True
    assert "fingerprint" not in other
    assert_payload(
        "best_practices/fingerprint",
        {
            "events": [
                trim(event, "fingerprint", "exception.values[].type", "exception.values[].value")
                for event in (from_view, from_ping)
            ]
        },
    )


@pytest.mark.django_db
def test_release_and_environment_on_every_event_and_transaction(sentry_init, recorder, wsgi):
    sentry_init(
        environ={"SENTRY_RELEASE": "bahk@2026.11.29", "SENTRY_ENVIRONMENT": "staging"},
        traces_sample_rate=1.0,
    )

    wsgi.get("/sentry-debug/")

    (event,) = recorder.events()
    (transaction,) = recorder.transactions()
    for payload in (event, transaction):
        assert payload["release"] == "bahk@2026.11.29"
        assert payload["environment"] == "staging"


def test_scope_fingerprint_applies_inside_the_scope_only(sentry_init, recorder):
    sentry_init()

    with sentry_sdk.new_scope() as scope:
        scope.fingerprint = ["map-import-failed"]
        sentry_sdk.capture_exception(ValueError("bad latitude for Paris"))
        sentry_sdk.capture_exception(KeyError("city"))
    sentry_sdk.capture_exception(ValueError("outside the scope"))

    inside_1, inside_2, outside = recorder.events()
    assert inside_1["fingerprint"] == inside_2["fingerprint"] == ["map-import-failed"]
    assert "fingerprint" not in outside


def test_every_error_is_sent_and_environment_defaults_to_development(sentry_init, recorder):
    sentry_init(environ={"SENTRY_ENVIRONMENT": ""})

    assert sentry_sdk.get_client().options["sample_rate"] == 1.0
    for number in range(20):
        sentry_sdk.capture_exception(ValueError(f"error {number}"))

    events = recorder.events()
    assert len(events) == 20
    assert {event["environment"] for event in events} == {"development"}
