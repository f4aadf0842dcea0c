"""Redis over TLS, as Heroku Key-Value Store provides it: bahk's settings for a rediss:// URL.

Heroku sets REDIS_URL to rediss:// and the server presents a self-signed certificate. The test
Redis sits behind a TLS terminator with such a certificate (tests/heroku/tls_redis.py); bahk's
settings module is run afresh with each REDIS_URL, as a dyno would import it.
"""

from __future__ import annotations

import logging
import runpy
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.core.cache.backends.redis import RedisCache

SETTINGS = Path(__file__).resolve().parents[2] / "example_app" / "bahk" / "settings.py"
QUEUE = "tls-check"


@pytest.fixture
def bahk_settings(monkeypatch, clean_environ):
    """bahk's settings as a dyno with this REDIS_URL (and no Sentry) would import them."""

    def read(redis_url: str) -> dict:
        clean_environ()
        monkeypatch.setenv("REDIS_URL", redis_url)
        return runpy.run_path(str(SETTINGS))

    return read


def test_a_client_that_verifies_the_certificate_is_refused(rediss_url):
    """What redis-py does by default against Heroku Key-Value Store."""
    client = redis.Redis.from_url(rediss_url)
    with pytest.raises(redis.ConnectionError, match="self-signed certificate in certificate chain"):
        client.ping()
    client.close()


@pytest.mark.parametrize("scheme", ["rediss", "redis"])
def test_django_cache_from_bahk_settings(bahk_settings, rediss_url, redis_url, scheme):
    url = rediss_url if scheme == "rediss" else redis_url
    params = bahk_settings(url)["CACHES"]["default"]
    cache = RedisCache(params["LOCATION"], params)

    cache.set("fast:1:name", "Ramadan")

    assert cache.get("fast:1:name") == "Ramadan"
    assert redis.Redis.from_url(redis_url).exists(":1:fast:1:name")  # the same server
    cache._cache.get_client().connection_pool.disconnect()


@pytest.mark.parametrize("scheme", ["rediss", "redis"])
def test_celery_broker_from_bahk_settings(bahk_settings, rediss_url, redis_url, scheme, caplog):
    caplog.set_level(logging.WARNING)
    settings = bahk_settings(rediss_url if scheme == "rediss" else redis_url)
    app = Celery("bahk-settings", set_as_current=False)
    app.conf.update(
        broker_url=settings["CELERY_BROKER_URL"],
        broker_use_ssl=settings.get("CELERY_BROKER_USE_SSL"),
        # Fail, not retry or wait forever, if it cannot connect.
        broker_transport_options={"max_retries": 1, "socket_timeout": 5},
    )

    app.send_task("hub.tasks.update_fast_maps", queue=QUEUE)
    app.close()

    assert redis.Redis.from_url(redis_url).llen(QUEUE) == 1
    # Without broker_use_ssl, kombu warns and turns verification off by itself.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
