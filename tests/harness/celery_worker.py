"""A real Celery worker (in this process, solo pool) on the real Redis broker.

Sentry's Celery integration patches `celery.app.trace.build_tracer`, and the testing worker
module binds that function when it is first imported, so the integration must be set up
before `celery.contrib.testing.worker` is imported. `celery_worker` makes sure of that.
"""

from __future__ import annotations

import pytest
import sentry_sdk
from sentry_sdk.integrations import _installed_integrations

from harness.redis_server import check_redis


def _set_up_sentry_celery_integration() -> None:
    if "celery" in _installed_integrations:
        return
    from sentry_sdk.integrations.celery import CeleryIntegration

    sentry_sdk.init(integrations=[CeleryIntegration()])
    sentry_sdk.get_client().close()


def _check_worker_is_traced() -> None:
    """Fail at once, naming the cause, rather than each task test after a 10 s wait."""
    import celery.app.trace
    from celery.worker.consumer import consumer

    if consumer.build_tracer is not celery.app.trace.build_tracer:
        raise RuntimeError(
            "celery.worker.consumer was imported before Sentry's Celery integration was set "
            "up, so the test worker's tasks are not traced: import Celery's worker modules "
            "inside a test, after sentry_init()"
        )


@pytest.fixture(scope="session")
def _celery_worker_session(_redis_session_url):
    from bahk.celery import app

    # By the settings' own name (namespace CELERY): Celery 5.5 keeps CELERY_BROKER_URL over a
    # `broker_url` set afterwards; 5.7 takes either (nox -s matrix runs both).
    app.conf.update(CELERY_BROKER_URL=_redis_session_url)
    # This worker's thread keeps a database connection from one test to the next. After each
    # task, Celery 5.5 checks every connection the thread holds (5.7 only closes open ones), and
    # outside a database test pytest-django blocks that check: Celery logs the block at ERROR,
    # an event no production worker sends. Reusing the connection skips the check.
    app.conf.update(CELERY_DB_REUSE_MAX=1_000_000)
    # A task sent earlier in the session (eager mode acquires a producer too) may have built
    # the connection pools for the settings' REDIS_URL: build them again for this broker.
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    _set_up_sentry_celery_integration()
    from celery.contrib.testing.worker import start_worker

    _check_worker_is_traced()

    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=5
    ) as worker:
        yield worker


@pytest.fixture
def celery_worker(_celery_worker_session, redis_url):
    """The example app's Celery app, with a worker consuming its queue for this test.

    Any task module imported before the test runs (a snippet's `@shared_task`) is known
    to the worker.

    Tasks run in the worker's thread: a task that uses the database needs
    `@pytest.mark.django_db(transaction=True)`.
    """
    check_redis(redis_url)
    worker = _celery_worker_session
    # Tasks defined after the worker started (in snippets) need a consumer strategy too.
    worker.consumer.update_strategies()
    return worker.app
