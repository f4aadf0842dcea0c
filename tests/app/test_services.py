"""The real services the tests run on: a Redis server, a Celery worker, an ingest endpoint."""

import os
import threading
import time

import pytest
import redis
import sentry_sdk

from harness.redis_server import RedisUnavailable, check_redis, redis_server
from snippets.celery.enqueue_from_view import send_welcome_email  # known to the worker


def test_a_stopped_redis_fails_with_redis_is_unavailable(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)  # start our own throwaway server
    with redis_server() as url:
        assert redis.Redis.from_url(url).ping()
    # The context has stopped the server: the check every Redis fixture runs must fail, fast.
    started = time.monotonic()
    with pytest.raises(RedisUnavailable, match=r"^Redis is unavailable at redis://127\.0\.0\.1:"):
        check_redis(url)
    assert time.monotonic() - started < 5


def test_redis_url_is_a_real_server_emptied_for_each_test(redis_url):
    client = redis.Redis.from_url(redis_url)
    assert client.dbsize() == 0
    assert client.info("server")["redis_version"]
    client.set("left-behind", "1")  # the next test using redis_url starts without it


def test_celery_worker_runs_tasks_in_another_thread(sentry_init, recorder, celery_worker):
    sentry_init(traces_sample_rate=1.0)

    send_welcome_email.delay(1, "amina@example.org")

    recorder.wait_for(lambda r: r.transactions())
    (transaction,) = recorder.transactions()
    assert transaction["contexts"]["trace"]["data"]["thread.id"] != str(threading.get_ident())


def test_sentry_endpoint_receives_the_sdks_real_http_transport(sentry_endpoint, clean_environ):
    clean_environ()
    sentry_sdk.init(dsn=sentry_endpoint.dsn)

    sentry_sdk.capture_message("over HTTP")
    sentry_sdk.flush()

    sentry_endpoint.wait_for(lambda e: e.items("event"))
    assert sentry_endpoint.items("event")[0]["message"] == "over HTTP"
    assert os.environ.get("SENTRY_DSN") is None
