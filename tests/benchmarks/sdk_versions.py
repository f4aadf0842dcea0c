"""sentry-sdk 3.0.0b2 beside 2.75.0: the overhead benchmark's request and task, in two processes.

    python tests/benchmarks/sdk_versions.py --sdk3-python .nox/bench_sdk3/sdk3/bin/python

The driver runs in the 2.75 environment and starts one worker process per SDK (this file with
`--worker`), each in its own virtualenv with the same locked versions of everything but
sentry-sdk (envs/sdk3/requirements.txt). The workers share one Redis server and one loopback
ingest endpoint, each with its own database. Fairness:

- **Alternated rounds.** The driver asks one worker for a round, waits for it, then the other, in
  a random order each time: the two never run at once, and a slow moment of the machine falls
  on both.
- **Interleaved inside a round**, as in overhead.py: each worker switches between its
  configurations (Sentry off included) in a shuffled order for a short block of calls.
- **Own baseline.** Each worker's ratios are to its own "Sentry off", measured in the same
  rounds; 3.0 against 2.75 compares the medians of the same rounds, with a bootstrap interval
  over paired rounds.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "example_app"), str(ROOT / "tests"), str(HERE)]

import overhead  # noqa: E402

from harness.environ import clean_environ  # noqa: E402

RESULTS = HERE / "results"
# key, label, traces_sample_rate, and which setup: "2x" (bahk/sentry.py), "3x" (its 3.x
# version, snippets/sdk3/sentry.py) or "bridge" (the 3.x version on 2.75 in stream mode).
CONFIGURATIONS = {
    "2.75": [
        ("off", "Sentry off", None, None),
        ("errors", "Errors only", None, "2x"),
        ("traces-0.1", "`traces_sample_rate=0.1`", 0.1, "2x"),
        ("traces-1.0", "`traces_sample_rate=1.0`", 1.0, "2x"),
        ("stream-1.0", '`traces_sample_rate=1.0`, `trace_lifecycle="stream"`', 1.0, "bridge"),
    ],
    "3.0": [
        ("off", "Sentry off", None, None),
        ("errors", "Errors only", None, "3x"),
        ("traces-0.1", "`traces_sample_rate=0.1`", 0.1, "3x"),
        ("traces-1.0", "`traces_sample_rate=1.0`", 1.0, "3x"),
    ],
}


# ---- worker: one SDK, in its own process ---------------------------------------------------


def _init(setup: str, dsn: str, rate: float | None):
    import sentry_sdk

    if setup == "2x":
        from bahk.sentry import init_sentry
    elif setup == "3x":
        from snippets.sdk3.sentry import init_sentry
    else:
        from snippets.sdk3.bridge import init_sentry_streaming as init_sentry
    sentry_sdk.get_global_scope().set_client(None)
    environ = {"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "bench", "SENTRY_RELEASE": "bench"}
    assert init_sentry(environ, traces_sample_rate=rate, integrations=overhead._integrations(False))
    return sentry_sdk.get_client()


def worker(sdk: str, dsn: str, block: int, warmup: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    fast_id = overhead._create_fasts()
    prepared = []
    for key, _label, rate, setup in CONFIGURATIONS[sdk]:
        client = None if setup is None else _init(setup, dsn, rate)
        prepared.append(overhead._Prepared(overhead.Configuration(key, key, None), client,
                                           overhead._new_cache()))  # fmt: skip

    from harness.wsgi_client import WSGIClient
    from hub.tasks import update_fast_maps

    wsgi = WSGIClient()
    url = f"/api/fasts/{fast_id}/participants/map/"

    def request_map() -> None:
        if wsgi.get(url).status != 200:
            raise RuntimeError(f"GET {url} failed")

    def run_task() -> None:
        if update_fast_maps.apply().get() != overhead.FAST_COUNT:
            raise RuntimeError("update_fast_maps did not refresh every active fast")

    workloads = {"view": request_map, "task": run_task}
    # Fill the cache first: the request is timed on the cache-hit path, and on 3.0 a miss runs
    # bahk's unchanged `start_span(op=...)`, which raises there (see Moving to sentry-sdk 3).
    overhead._switch_to(prepared[0])
    run_task()
    rng = random.Random(sdk)
    print(json.dumps({"ready": sdk}), flush=True)
    for line in sys.stdin:
        if line.strip() != "round":
            break
        times: dict = {}
        order = list(prepared)
        rng.shuffle(order)
        for config in order:
            overhead._switch_to(config)
            for name, call in workloads.items():
                overhead._timed(call, warmup)
                wall, cpu = overhead._timed(call, block)
                times.setdefault(config.configuration.key, {})[name] = {"wall": wall, "cpu": cpu}
            flush_cpu = time.process_time_ns()
            if config.client is not None:
                config.client.flush()  # what is still queued is sent now, outside the calls
            flush_ms = (time.process_time_ns() - flush_cpu) / 1e6
            for name in workloads:  # reported beside the calls: work a queue defers still costs
                times[config.configuration.key][name]["flush"] = [flush_ms / (2 * block)]
        print(json.dumps(times), flush=True)
    for config in prepared:
        if config.client is not None:
            config.client.close()


# ---- driver ----------------------------------------------------------------------------------


def _start_worker(python: str, sdk: str, dsn: str, redis_url: str, workdir: Path, args):
    env = clean_environ()
    env.update(
        DJANGO_SETTINGS_MODULE="bahk.settings",
        DATABASE_URL=f"sqlite:///{workdir / f'bench-{sdk}.sqlite3'}",
        REDIS_URL=redis_url,
        DJANGO_LOG_LEVEL="WARNING",
    )
    env.pop("DYNO", None)
    process = subprocess.Popen(
        [python, __file__, "--worker", sdk, "--dsn", dsn, "--block", str(args.block),
         "--warmup", str(args.warmup)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    ready = json.loads(process.stdout.readline())
    assert ready == {"ready": sdk}, ready
    return process


def _version(python: str) -> str:
    code = "import sentry_sdk; print(sentry_sdk.VERSION)"
    return subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()


def measure(args) -> dict:
    from harness.redis_server import redis_server

    pythons = {"2.75": sys.executable, "3.0": args.sdk3_python}
    versions = {sdk: _version(python) for sdk, python in pythons.items()}
    assert versions["2.75"].startswith("2.75") and versions["3.0"].startswith("3.0"), versions
    blocks: dict = {sdk: {} for sdk in pythons}  # blocks[sdk][config][workload][clock] = rounds
    with tempfile.TemporaryDirectory(prefix="bench-sdk-") as workdir, redis_server() as redis:
        endpoint, dsn = overhead._start_ingest_endpoint()
        workers = {
            sdk: _start_worker(python, sdk, dsn, f"{redis[: redis.rfind('/')]}/{n}", Path(workdir),
                               args)
            for n, (sdk, python) in enumerate(pythons.items())
        }  # fmt: skip
        rng = random.Random(2026)
        try:
            for _round in range(args.rounds):
                order = list(workers)
                rng.shuffle(order)
                for sdk in order:
                    workers[sdk].stdin.write("round\n")
                    workers[sdk].stdin.flush()
                    for key, by_workload in json.loads(workers[sdk].stdout.readline()).items():
                        for workload, clocks in by_workload.items():
                            for clock, samples in clocks.items():
                                blocks[sdk].setdefault(key, {}).setdefault(workload, {})
                                blocks[sdk][key][workload].setdefault(clock, []).append(samples)
        finally:
            for process in workers.values():
                process.stdin.close()
                process.wait(timeout=120)
            received = overhead._stop_ingest_endpoint(endpoint)
    return {"versions": versions, "blocks": blocks, "ingest_endpoint_received": received}


def summarise(measured: dict, args) -> dict:
    rows = []
    blocks = measured["blocks"]
    for sdk, configurations in CONFIGURATIONS.items():
        for key, label, _rate, _setup in configurations:
            row = {"sdk": measured["versions"][sdk], "key": key, "label": label}
            for workload in ("view", "task"):
                flushes = blocks[sdk][key][workload]["flush"]
                row[f"{workload}_flush_cpu_ms"] = sum(x for b in flushes for x in b) / len(flushes)
                for clock in ("wall", "cpu"):
                    mine = blocks[sdk][key][workload][clock]
                    summary = _summary(mine, blocks[sdk]["off"][workload][clock])
                    if sdk == "3.0" and key != "off" and key in blocks["2.75"]:
                        versus = _summary(mine, blocks["2.75"][key][workload][clock])
                        summary["vs_275"] = versus["ratio"]
                        summary["vs_275_ci95"] = versus["ratio_ci95"]
                    row[f"{workload}_{clock}"] = summary
            rows.append(row)
    return {
        "date": datetime.date.today().isoformat(),
        "method": {"rounds": args.rounds, "calls_per_block": args.block, "warmup": args.warmup},
        "load_average_after": round(os.getloadavg()[0], 1),
        "versions": measured["versions"],
        "rows": rows,
        "ingest_endpoint_received": measured["ingest_endpoint_received"],
    }


def _summary(mine: list[list[float]], base: list[list[float]]) -> dict:
    import statistics

    pooled = [x for b in mine for x in b]
    base_median = statistics.median(x for b in base for x in b)
    return {
        "median_ms": statistics.median(pooled),
        "ratio": statistics.median(pooled) / base_median,
        "ratio_ci95": list(overhead._ratio_interval(mine, base)),
        "added_median_ms": statistics.median(pooled) - base_median,
    }


def markdown(results: dict) -> str:
    method = results["method"]
    lines = [
        "<!-- Generated by `nox -s bench_sdk3` (tests/benchmarks/sdk_versions.py). -->",
        "",
        "<!-- --8<-- [start:stamp] -->",
        f"Measured {results['date']} on {os.cpu_count()} CPUs, sentry-sdk "
        f"{results['versions']['2.75']} and {results['versions']['3.0']} in two processes taking "
        f"turns, {method['rounds']} rounds of {method['calls_per_block']} calls per configuration. "
        f"Load average at the end: {results['load_average_after']} (a machine shared with other "
        "test runs: trust the CPU columns more than the wall-clock ones).",
        "<!-- --8<-- [end:stamp] -->",
        "",
    ]
    for workload, title in overhead_titles().items():
        lines += [
            f"<!-- --8<-- [start:{workload}] -->",
            f"**{title}**",
            "",
            "| sentry-sdk | Configuration | CPU, median | CPU vs off (95% CI) "
            "| 3.0 vs 2.75, CPU (95% CI) | Wall, median | Flush CPU per call |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in results["rows"]:
            cpu, wall = row[f"{workload}_cpu"], row[f"{workload}_wall"]
            low, high = cpu["ratio_ci95"]
            versus = "-"
            if "vs_275" in cpu:
                v_low, v_high = cpu["vs_275_ci95"]
                versus = f"{cpu['vs_275']:.2f}x ({v_low:.2f}-{v_high:.2f})"
            lines.append(
                f"| {row['sdk']} | {row['label']} | {cpu['median_ms']:.2f} ms "
                f"| {cpu['ratio']:.2f}x ({low:.2f}-{high:.2f}) | {versus} "
                f"| {wall['median_ms']:.2f} ms | {row[workload + '_flush_cpu_ms'] * 1000:.0f} µs |"
            )
        lines += ["<!-- --8<-- [end:" + workload + "] -->", ""]
    return "\n".join(lines)


def overhead_titles() -> dict[str, str]:
    return {
        "view": "Request: `FastParticipantsMapView`, cache hit, through the WSGI app",
        "task": "Task: `update_fast_maps.apply()`, Celery's tracer in-process",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=sorted(CONFIGURATIONS))
    parser.add_argument("--dsn")
    parser.add_argument("--sdk3-python")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--block", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.dsn, args.block, args.warmup)
        return
    results = summarise(measure(args), args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sdk_versions.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "sdk_versions.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
