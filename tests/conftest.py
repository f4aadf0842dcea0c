"""Fixtures in the style of sentry-python's own test suite.

- `sentry_init(environ=None, **overrides)`: initialise Sentry with the example app's real
  options (`bahk.sentry.init_sentry`), recording into `recorder` instead of sending.
- `recorder`: the `RecordingTransport` of this test.
- `wsgi`: a client for the real WSGI application (the one the SDK instruments).
- `redis_url`: a real Redis server for the session; Django's cache points at it.
- `rediss_url`: that server behind TLS with a self-signed certificate (tests/heroku/tls_redis.py).
- `celery_worker`: a real Celery worker on that Redis broker (see tests/harness/celery_worker.py).
- `sentry_endpoint`: a loopback Sentry ingest endpoint for the SDK's real HTTP transport.
- `assert_payload(name, payload)`: compare a trimmed payload with the one shown on the site.

Every test starts and ends with empty Sentry scopes and no client.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from harness import network_guard
from harness.environ import TEST_DSN, settings_in
from harness.payload_files import check_payload
from harness.redis_server import check_redis, redis_server
from harness.sentry_http_endpoint import SentryHTTPEndpoint
from harness.sentry_scopes import reset_sentry
from harness.site import ROOT, mkdocs_build, mkdocs_environ
from harness.wsgi_client import WSGIClient
from sentry_recorder import RecordingTransport

pytest_plugins = ["harness.celery_worker"]


def pytest_configure(config):
    network_guard.install(config)


# --8<-- [start:update-payloads-option]
def pytest_addoption(parser):
    parser.addoption(
        "--update-payloads",
        action="store_true",
        help="rewrite tests/payloads/*.json with the payloads recorded in this run",
    )


# --8<-- [end:update-payloads-option]


# --8<-- [start:isolation]
@pytest.fixture(autouse=True)
def isolated_sentry():
    """No client and fresh scopes before and after every test."""
    reset_sentry()
    yield
    reset_sentry()


# --8<-- [end:isolation]


@pytest.fixture(autouse=True)
def no_redis_outage_reported_yet(monkeypatch):
    """bahk's before_send sends one Redis outage event per process every 10 minutes (in this
    process: per test), remembered in a module global that each test starts without."""
    import bahk.sentry

    monkeypatch.setattr(bahk.sentry, "_redis_outage_reported_at", {})


@pytest.fixture
def network_attempts() -> Callable[[], list[tuple[str, object]]]:
    """A function returning every socket connect and name lookup made since the test began."""
    start = len(network_guard.ATTEMPTS)
    return lambda: network_guard.ATTEMPTS[start:]


# --8<-- [start:sentry-init]
@pytest.fixture
def recorder() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def sentry_init(recorder) -> Callable[..., None]:
    """Initialise Sentry exactly as the example app does, plus this test's overrides."""
    from bahk.sentry import init_sentry

    def init(environ: Mapping[str, str] | None = None, **overrides) -> None:
        env = {"SENTRY_DSN": TEST_DSN, "SENTRY_ENVIRONMENT": "test", **(environ or {})}
        overrides.setdefault("transport", recorder)
        assert init_sentry(env, **overrides), "Sentry did not start"

    return init


# --8<-- [end:sentry-init]


# --8<-- [start:wsgi]
@pytest.fixture
def wsgi() -> WSGIClient:
    return WSGIClient()


# --8<-- [end:wsgi]


@pytest.fixture(scope="session")
def _redis_session_url():
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_url(_redis_session_url, settings) -> str:
    """A running Redis server, emptied for this test, used by Django's cache."""
    check_redis(_redis_session_url)
    import redis

    redis.Redis.from_url(_redis_session_url).flushdb()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_session_url,
        }
    }
    return _redis_session_url


@pytest.fixture(scope="session")
def _rediss_session_url(_redis_session_url):
    from heroku.tls_redis import tls_redis

    with tls_redis(_redis_session_url) as url:
        yield url


@pytest.fixture
def rediss_url(_rediss_session_url, redis_url) -> str:
    """The test Redis (emptied) behind TLS with a self-signed certificate: a rediss:// URL.

    As Heroku Key-Value Store serves it: a client that verifies certificates is refused.
    """
    return _rediss_session_url


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site, built once per session as `nox -s docs` builds it (harness/site.py)."""
    site = tmp_path_factory.mktemp("site")
    subprocess.run(mkdocs_build(site), cwd=ROOT, env=mkdocs_environ(), check=True)
    return site


@pytest.fixture
def sentry_endpoint():
    """A loopback HTTP endpoint that accepts envelopes, as sentry.io's ingest does."""
    with SentryHTTPEndpoint() as endpoint:
        yield endpoint


# --8<-- [start:assert-payload]
@pytest.fixture
def assert_payload(request) -> Callable[[str, object], None]:
    update = request.config.getoption("--update-payloads")

    def check(name: str, payload: object) -> None:
        check_payload(name, payload, update=update)

    return check


# --8<-- [end:assert-payload]


@pytest.fixture(autouse=True)
def _raw_transactions_for_trace_pictures(request):
    """Where assert_payload finds the test's raw transactions, whose real timings the trace
    pictures on the site are drawn from (see harness/payload_files.py), and its error events."""
    from harness import payload_files

    def raw(item_type: str) -> list[dict]:
        return [
            item
            for name in ("recorder", "sentry_endpoint")
            if name in request.fixturenames
            for item in request.getfixturevalue(name).items(item_type)
        ]

    payload_files.raw_transactions = lambda: raw("transaction")
    payload_files.raw_error_events = lambda: raw("event")
    yield
    payload_files.raw_transactions = payload_files.raw_error_events = list


@pytest.fixture
def clean_environ(monkeypatch) -> Callable[..., None]:
    """Remove the developer's Sentry, Heroku, Django, Celery and Redis settings from os.environ
    for this test (harness/environ.py)."""

    def clear() -> None:
        for name in settings_in(os.environ):
            monkeypatch.delenv(name)

    return clear
