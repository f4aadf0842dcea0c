"""When Sentry is down or slow, the app does not notice, and the SDK counts what it lost.

The SDK's real HTTP transport sends from a background thread, so a request never waits for
Sentry. What could not be delivered is counted and reported to Sentry later in a
`client_report` (reason `network_error`, `ratelimit_backoff` or `queue_overflow`): these tests
read those reports where Sentry would, at the endpoint.
"""

from __future__ import annotations

import threading
import time

import pytest
import sentry_sdk

from bahk.sentry import init_sentry
from harness.beat import beat_scheduler
from harness.factories import create_fast
from harness.ports import free_port
from harness.sentry_http_endpoint import SentryHTTPEndpoint

REQUESTS = 10
# A request may take this long at most, although the misbehaving endpoint takes STALL_SECONDS
# to answer each envelope: were the SDK sending from the request thread, each would take longer.
REQUEST_TIME_BOUND = 0.5
STALL_SECONDS = 2.0
MAP_URL = "/api/fasts/1/participants/map/"


@pytest.fixture
def fast(db, redis_url):
    return create_fast(1, [("Oslo", 59.9, 10.7)])


def start_sentry(dsn: str, **overrides) -> None:
    environ = {"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "test", "SENTRY_TRACES_SAMPLE_RATE": "1"}
    assert init_sentry(environ, **overrides)


def timed_requests(wsgi) -> list[float]:
    durations = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = wsgi.get(MAP_URL)
        durations.append(time.perf_counter() - started)
        assert response.status == 200
    return durations


def lost(endpoint: SentryHTTPEndpoint, reason: str, category: str = "transaction") -> int:
    """The number of items the SDK's client reports say it lost, as Sentry reads them."""
    return sum(
        discarded["quantity"]
        for report in endpoint.items("client_report")
        for discarded in report["discarded_events"]
        if discarded["reason"] == reason and discarded["category"] == category
    )


def test_connection_refused_requests_succeed_and_the_loss_is_reported_later(fast, wsgi):
    port = free_port()  # nothing listens there: every connection is refused
    start_sentry(f"http://public@127.0.0.1:{port}/1")

    durations = timed_requests(wsgi)

    assert max(durations) < REQUEST_TIME_BOUND, durations
    # Let the SDK's sender try every queued envelope while Sentry is still down: otherwise
    # whether any is lost depends on how fast the endpoint below starts. Not sentry_sdk.flush():
    # it would also send the client report now, and lose it with the rest.
    sentry_sdk.get_client().transport._worker.flush(timeout=10)
    with SentryHTTPEndpoint(port=port) as endpoint:  # Sentry is back
        sentry_sdk.flush(timeout=10)
        endpoint.wait_for(lambda e: e.items("client_report"))
        assert endpoint.items("transaction") == []  # none was sent again once Sentry was back
        assert lost(endpoint, "network_error") == REQUESTS


def test_rate_limited_requests_succeed_and_the_backoff_is_reported(fast, wsgi):
    # Sentry answers 429: the project's transaction quota is spent for the next minute.
    with SentryHTTPEndpoint("rate-limited", rate_limits="60:transaction:organization") as endpoint:
        start_sentry(endpoint.dsn)

        durations = timed_requests(wsgi)
        sentry_sdk.flush(timeout=10)

        assert max(durations) < REQUEST_TIME_BOUND, durations
        endpoint.wait_for(lambda e: e.items("client_report"))
        # The first transaction got the 429; the SDK kept the other nine to itself.
        assert len(endpoint.items("transaction")) == 1
        assert lost(endpoint, "ratelimit_backoff") == REQUESTS - 1


def test_stalled_endpoint_does_not_slow_requests_and_overflow_is_reported(fast, wsgi):
    with SentryHTTPEndpoint("stall", stall_seconds=STALL_SECONDS) as endpoint:
        # A queue of 2 (the default is 100) makes the overflow show with a few requests.
        start_sentry(endpoint.dsn, transport_queue_size=2)

        durations = timed_requests(wsgi)

        assert max(durations) < REQUEST_TIME_BOUND, durations
        # The first flush drains the queue; the second has room to send the client report.
        sentry_sdk.flush(timeout=4 * STALL_SECONDS + 5)
        sentry_sdk.flush(timeout=2 * STALL_SECONDS + 5)
        endpoint.wait_for(lambda e: e.items("client_report"))
        delivered = len(endpoint.items("transaction"))
        assert lost(endpoint, "queue_overflow") > 0
        assert delivered + lost(endpoint, "queue_overflow") == REQUESTS


def apply_at_once(app, names: list[str]) -> None:
    """Apply beat entries from several threads at the same moment, as overlapping ticks would."""
    barrier = threading.Barrier(len(names))
    errors = []

    def apply(name: str) -> None:
        scheduler = beat_scheduler(app)
        barrier.wait()
        try:
            scheduler.apply_entry(scheduler.schedule[name], producer=None)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=apply, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not errors


@pytest.mark.django_db(transaction=True)
def test_every_applied_beat_entry_sends_one_in_progress_and_one_final_check_in(
    sentry_init, recorder, celery_worker
):
    sentry_init()
    entries = sorted(celery_worker.conf.beat_schedule)
    assert entries == ["daily-fast-notifications", "hourly-fast-map-updates"]
    runs = entries * 3  # both entries, three times each, all at once

    apply_at_once(celery_worker, runs)

    finished = lambda r: sum(c["status"] != "in_progress" for c in r.check_ins())  # noqa: E731
    recorder.wait_for(lambda r: finished(r) == len(runs))
    time.sleep(0.5)  # anything sent twice would arrive by now
    by_id: dict[str, list[dict]] = {}
    for check_in in recorder.check_ins():
        by_id.setdefault(check_in["check_in_id"], []).append(check_in)
    assert len(by_id) == len(runs)
    for check_ins in by_id.values():
        assert [c["status"] for c in check_ins] == ["in_progress", "ok"]
        assert check_ins[0]["monitor_slug"] == check_ins[1]["monitor_slug"]
    slugs = sorted(check_ins[0]["monitor_slug"] for check_ins in by_id.values())
    assert slugs == sorted(runs)
