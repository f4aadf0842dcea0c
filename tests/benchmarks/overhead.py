"""What Sentry costs the example app: latency and memory of one request and one task.

    python tests/benchmarks/overhead.py --out overhead-raw.json

Workloads, both through the code paths the SDK instruments:
- `GET /api/fasts/<id>/participants/map/` through the real WSGI application
  (`FastParticipantsMapView`), on the **cache-hit** path: the map is already in Redis, as it is
  for every request but the first after the hourly refresh. This is the cheapest request the
  view serves, so Sentry's share of it is the largest.
- `hub.tasks.update_fast_maps.apply()`: Celery's real tracer run in this process (the one a
  worker runs and Sentry's Celery integration wraps), without the broker round trip. The task
  rebuilds the maps of three active fasts (SQL aggregate + Redis SET each).

Each configuration's client is created once; a round binds each in turn (shuffled order) for a
short block of calls, so slow drift of the machine is shared by all of them. The ratio to
"Sentry off" comes with a 95% bootstrap interval over rounds, and its range over rounds.
"Sentry off" is no client bound: the integrations' wrappers are installed (once per process)
but do nothing, which is a few microseconds more than an app that never calls `init`.
After each block the client is flushed, untimed, so one configuration's envelopes are not
sent during the next one's calls; what its background thread sent during the block counts.

The real HTTP transport sends to a loopback ingest endpoint that runs in another process
(tests/benchmarks/ingest_process.py), as sentry.io would be another machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "example_app"), str(ROOT / "tests")]

from harness.environ import settings_in  # noqa: E402

FAST_COUNT = 3
CITIES = 20
PARTICIPANTS_PER_FAST = 200
BOOTSTRAP = 1000


@dataclass(frozen=True)
class Configuration:
    key: str
    label: str
    transport: str | None  # "http", "recording" or None (Sentry off)
    traces_sample_rate: float | None = None
    extra_spans: bool = False  # DjangoIntegration(cache_spans=True, middleware_spans=True)


CONFIGURATIONS = [
    Configuration("off", "Sentry off", None),
    Configuration("errors", "Errors only (no `traces_sample_rate`)", "http"),
    Configuration("traces-0.01", "`traces_sample_rate=0.01`", "http", 0.01),
    Configuration("traces-0.1", "`traces_sample_rate=0.1`", "http", 0.1),
    Configuration("traces-1.0", "`traces_sample_rate=1.0`", "http", 1.0),
    Configuration(
        "traces-1.0-spans", "`traces_sample_rate=1.0` + cache & middleware spans", "http", 1.0, True
    ),
    Configuration("traces-1.0-recording", "`traces_sample_rate=1.0`", "recording", 1.0),
    Configuration(
        "traces-1.0-spans-recording",
        "`traces_sample_rate=1.0` + cache & middleware spans",
        "recording",
        1.0,
        True,
    ),
]


def _prepare_environment(redis_url: str, database_path: Path) -> None:
    for name in settings_in(os.environ):
        del os.environ[name]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bahk.settings",
        DATABASE_URL=f"sqlite:///{database_path}",
        REDIS_URL=redis_url,
        DJANGO_LOG_LEVEL="WARNING",
    )


def _create_fasts() -> int:
    """Three active fasts with participants in twenty cities; return the first fast's id."""
    from django.utils import timezone

    from harness.factories import create_fast

    today = timezone.localdate()
    rng = random.Random(7)
    fasts = [
        create_fast(
            None,
            [
                (
                    f"City {n % CITIES}",
                    round(rng.uniform(-60, 60), 5),
                    round(rng.uniform(-180, 180), 5),
                )
                for n in range(PARTICIPANTS_PER_FAST)
            ],
            name=f"Fast {number}",
            starts_on=today - datetime.timedelta(days=1),
            ends_on=today + datetime.timedelta(days=1),
        )
        for number in range(FAST_COUNT)
    ]
    return fasts[0].id


def _integrations(extra_spans: bool) -> list:
    """bahk's own integrations, Django's with or without its cache and middleware spans."""
    from sentry_sdk.integrations.django import DjangoIntegration

    from bahk.sentry import sentry_options
    from harness.environ import TEST_DSN

    django = DjangoIntegration(cache_spans=extra_spans, middleware_spans=extra_spans)
    bahks = sentry_options({"SENTRY_DSN": TEST_DSN})["integrations"]
    return [django if isinstance(each, DjangoIntegration) else each for each in bahks]


def _sentry_off() -> None:
    """No client and empty scopes, as tests/conftest.py leaves them between tests."""
    from harness.sentry_scopes import reset_sentry

    reset_sentry()  # closing the client flushes its transport before the next configuration


@dataclass
class _Prepared:
    """One configuration, ready to switch to without re-initialising Sentry."""

    configuration: Configuration
    client: Any  # sentry_sdk.Client, or None for "Sentry off"
    cache: Any  # the Django cache object its requests use
    recorder: Any = None  # RecordingTransport for the recording transport


def _new_cache():
    """A new Django cache object; patched for spans if the bound client has cache_spans."""
    from django.core.cache import caches

    try:
        del caches["default"]
    except AttributeError:
        pass
    return caches["default"]


def _prepare(configuration: Configuration, dsn: str) -> _Prepared:
    """Initialise Sentry for `configuration` with the example app's own options."""
    import sentry_sdk

    from bahk.sentry import init_sentry
    from sentry_recorder import RecordingTransport

    sentry_sdk.get_global_scope().set_client(None)  # unbound, not closed: it is reused
    if configuration.transport is None:
        return _Prepared(configuration, None, _new_cache())
    recorder = RecordingTransport() if configuration.transport == "recording" else None
    overrides: dict = {
        "traces_sample_rate": configuration.traces_sample_rate,
        "integrations": _integrations(configuration.extra_spans),
    }
    if recorder is not None:
        overrides["transport"] = recorder
    environ = {"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "bench", "SENTRY_RELEASE": "bench"}
    assert init_sentry(environ, **overrides)
    return _Prepared(configuration, sentry_sdk.get_client(), _new_cache(), recorder)


def _switch_to(prepared: _Prepared) -> None:
    """Bind the configuration's client (None: Sentry off) and cache: cheap, so rounds can be
    short. Django decides whether to instrument a cache when it creates it, hence one each."""
    import sentry_sdk
    from django.core.cache import caches

    sentry_sdk.get_global_scope().set_client(prepared.client)
    caches["default"] = prepared.cache


def _timed(call: Callable[[], None], count: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU time (all threads of this process) of each call, in ms.

    CPU time does not count the moments another process has the CPU, so it stays steady on a
    busy machine; it does count the HTTP transport's thread when it works during the call.
    """
    wall, cpu = [], []
    for _ in range(count):
        wall_start, cpu_start = time.perf_counter_ns(), time.process_time_ns()
        call()
        cpu.append((time.process_time_ns() - cpu_start) / 1e6)
        wall.append((time.perf_counter_ns() - wall_start) / 1e6)
    return wall, cpu


def _peak_memory(call: Callable[[], None], count: int) -> float:
    """Median of the peak memory Python allocated (all threads) during one call, in KiB."""
    peaks = []
    tracemalloc.start()
    try:
        for _ in range(count):
            current, _peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            call()
            peaks.append((tracemalloc.get_traced_memory()[1] - current) / 1024)
    finally:
        tracemalloc.stop()
    return statistics.median(peaks)


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _start_ingest_endpoint() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("ingest_process.py"))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, process.stdout.readline().strip()


def _stop_ingest_endpoint(process: subprocess.Popen) -> dict:
    process.stdin.close()
    out = process.stdout.read()
    process.wait(timeout=60)
    return json.loads(out.strip().splitlines()[-1])


def measure(rounds: int, block: int, warmup: int, memory_calls: int) -> dict:
    from harness.redis_server import redis_server

    with tempfile.TemporaryDirectory(prefix="bench-") as workdir, redis_server() as redis_url:
        _prepare_environment(redis_url, Path(workdir) / "bench.sqlite3")
        endpoint, dsn = _start_ingest_endpoint()
        try:
            results = _measure_in_django(dsn, rounds, block, warmup, memory_calls)
        finally:
            _sentry_off()
            results_endpoint = _stop_ingest_endpoint(endpoint)
        results["ingest_endpoint_received"] = results_endpoint
        return results


def _measure_in_django(dsn: str, rounds: int, block: int, warmup: int, memory_calls: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    fast_id = _create_fasts()

    # Every integration patches Django, Celery and redis-py once, for the whole process, so
    # the clients are made before the WSGI handler loads its (then wrapped) middleware.
    prepared = [_prepare(c, dsn) for c in CONFIGURATIONS]

    from harness.wsgi_client import WSGIClient
    from hub.tasks import update_fast_maps

    wsgi = WSGIClient()
    url = f"/api/fasts/{fast_id}/participants/map/"

    def request_map() -> None:
        response = wsgi.get(url)
        if response.status != 200:
            raise RuntimeError(f"GET {url} answered {response.status}")

    def run_task() -> None:
        if update_fast_maps.apply().get() != FAST_COUNT:
            raise RuntimeError("update_fast_maps did not refresh every active fast")

    workloads = {"view": request_map, "task": run_task}
    # blocks[clock][configuration][workload][round] = the times of one block's calls, in ms
    blocks = {
        clock: {c.key: {w: [] for w in workloads} for c in CONFIGURATIONS}
        for clock in ("wall", "cpu")
    }
    recorded = {c.key: {"transactions": 0, "spans": 0, "calls": 0} for c in CONFIGURATIONS}
    order_rng = random.Random(2026)
    started = time.monotonic()

    for _round in range(rounds):
        order = list(prepared)
        order_rng.shuffle(order)
        for config in order:
            _switch_to(config)
            key = config.configuration.key
            for name, call in workloads.items():
                _timed(call, warmup)
                wall, cpu = _timed(call, block)
                blocks["wall"][key][name].append(wall)
                blocks["cpu"][key][name].append(cpu)
            if config.client is not None:
                # What the HTTP transport's thread has not sent yet is sent now, untimed,
                # rather than during the next configuration's calls.
                config.client.flush()
            if config.recorder is not None:
                transactions = config.recorder.transactions()
                config.recorder.clear()
                recorded[key]["transactions"] += len(transactions)
                recorded[key]["spans"] += sum(len(t.get("spans", [])) for t in transactions)
                recorded[key]["calls"] += (warmup + block) * len(workloads)
    timing_seconds = time.monotonic() - started

    memory = {}
    for config in prepared:
        _switch_to(config)
        for call in workloads.values():
            _timed(call, warmup)
        memory[config.configuration.key] = {
            name: _peak_memory(call, memory_calls) for name, call in workloads.items()
        }
        if config.client is not None:
            config.client.flush()
    for config in prepared:
        if config.client is not None:
            config.client.close()
    _sentry_off()

    return {
        "method": {
            "rounds": rounds,
            "calls_per_block": block,
            "warmup_calls_per_block": warmup,
            "memory_calls": memory_calls,
            "view": f"GET {url.replace(str(fast_id), '<id>')} (cache hit) through the WSGI app",
            "task": "hub.tasks.update_fast_maps.apply() (Celery tracer in-process, no broker)",
            "participants": FAST_COUNT * PARTICIPANTS_PER_FAST,
            "timing_seconds": round(timing_seconds, 1),
        },
        "configurations": [asdict(c) for c in CONFIGURATIONS],
        "workloads": {name: _summarise(blocks, name, memory) for name in workloads},
        "recording_transport_received": {
            key: value for key, value in recorded.items() if value["calls"]
        },
    }


def _pooled_median(rounds_of_samples: list[list[float]], picks: list[int]) -> float:
    return statistics.median(x for pick in picks for x in rounds_of_samples[pick])


def _ratio_interval(mine: list[list[float]], off: list[list[float]]) -> tuple[float, float]:
    """95% bootstrap interval of median(mine) / median(off), resampling whole rounds (paired)."""
    rng = random.Random(1)
    everything = range(len(off))
    ratios = sorted(
        _pooled_median(mine, picks) / _pooled_median(off, picks)
        for picks in ([rng.choice(everything) for _ in everything] for _ in range(BOOTSTRAP))
    )
    return ratios[int(0.025 * BOOTSTRAP)], ratios[int(0.975 * BOOTSTRAP) - 1]


def _clock_summary(blocks: dict, key: str, workload: str) -> dict:
    off = blocks["off"][workload]
    mine = blocks[key][workload]
    off_median = statistics.median(x for b in off for x in b)
    pooled = [x for b in mine for x in b]
    per_round = [
        statistics.median(m) / statistics.median(o) for m, o in zip(mine, off, strict=True)
    ]
    return {
        "median_ms": statistics.median(pooled),
        "p95_ms": _percentile(pooled, 0.95),
        "ratio": statistics.median(pooled) / off_median,
        "ratio_ci95": list(_ratio_interval(mine, off)),
        "ratio_per_round_min_max": [min(per_round), max(per_round)],
        "added_median_ms": statistics.median(pooled) - off_median,
    }


def _summarise(blocks: dict, workload: str, memory: dict) -> dict:
    return {
        c.key: {
            "wall": _clock_summary(blocks["wall"], c.key, workload),
            "cpu": _clock_summary(blocks["cpu"], c.key, workload),
            "peak_memory_kib": memory[c.key][workload],
            "samples": sum(len(b) for b in blocks["wall"][c.key][workload]),
        }
        for c in CONFIGURATIONS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--block", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--memory-calls", type=int, default=30)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    results = measure(args.rounds, args.block, args.warmup, args.memory_calls)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
