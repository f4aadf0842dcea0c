"""Turn the benchmark's results into the Markdown tables the performance page includes.

The Markdown has sections (`<!-- --8<-- [start:name] -->`) so that a page can include one
table at a time: `stamp`, `view`, `task`, `project` and `pages`.
"""

from __future__ import annotations

TRANSPORTS = {None: "none", "http": "HTTP to loopback", "recording": "recording"}
WORKLOAD_TITLES = {
    "view": "Request: `FastParticipantsMapView`, cache hit, through the WSGI app",
    "task": "Task: `update_fast_maps.apply()`, Celery's tracer in-process",
}


def _section(name: str, lines: list[str]) -> list[str]:
    return [f"<!-- --8<-- [start:{name}] -->", *lines, f"<!-- --8<-- [end:{name}] -->", ""]


def _stamp(results: dict) -> list[str]:
    versions = ", ".join(f"{name} {version}" for name, version in results["versions"].items())
    machine = results["machine"]
    load = results["load_average_after_overhead"]
    busy = (
        ", more than the CPU count: other processes competed for the CPUs, so trust the CPU "
        "columns more than the wall-clock ones"
        if load > machine["cpus"]
        else ""
    )
    return [
        f"Measured {results['date']} on {machine['cpus']} CPUs ({machine['platform']}) with "
        f"{versions}. Load average at the end of the overhead run: {load}{busy}.",
    ]


def _ratio(clock: dict) -> str:
    low, high = clock["ratio_ci95"]
    return f"{clock['ratio']:.2f}x ({low:.2f}-{high:.2f})"


def _overhead_table(results: dict, workload: str) -> list[str]:
    """Two tables of five columns each (time, then CPU and memory): one of eight columns
    would not fit the page's width."""
    overhead = results["overhead"]
    method = overhead["method"]
    summary = overhead["workloads"][workload]
    rows = [(c, summary[c["key"]]) for c in overhead["configurations"]]

    def label(configuration: dict) -> str:
        return f"| {configuration['label']} | {TRANSPORTS[configuration['transport']]} "

    lines = [
        f"**{WORKLOAD_TITLES[workload]}: wall-clock time**",
        "",
        "| Sentry configuration | Transport | Median | p95 | vs off (95% CI) |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for configuration, row in rows:
        wall = row["wall"]
        lines.append(
            label(configuration)
            + f"| {wall['median_ms']:.2f} ms | {wall['p95_ms']:.2f} ms | {_ratio(wall)} |"
        )
    lines += [
        "",
        f"**{WORKLOAD_TITLES[workload]}: CPU time and memory**",
        "",
        "| Sentry configuration | Transport | CPU, median | CPU vs off (95% CI) | Peak memory |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for configuration, row in rows:
        cpu = row["cpu"]
        lines.append(
            label(configuration)
            + f"| {cpu['median_ms']:.2f} ms | {_ratio(cpu)} | {row['peak_memory_kib']:.0f} KiB |"
        )
    lines += [
        "",
        f"{method['rounds']} interleaved rounds of {method['calls_per_block']} calls per "
        f"configuration ({summary['off']['samples']} calls each). Median and p95: wall-clock "
        "time. CPU: CPU time of all the benchmark's threads during the call. 95% CI: bootstrap "
        "over rounds. Peak memory: Python allocations of all threads during one call, median of "
        f"{method['memory_calls']}.",
    ]
    return lines


def _cost(summary: dict, key: str) -> str:
    cpu = summary[key]["cpu"]
    return f"{cpu['added_median_ms'] * 1000:+.0f} µs CPU ({_ratio(cpu)})"


def _summary(results: dict) -> list[str]:
    """The figures the page's recommendations rest on, as sentences (HTTP transport)."""
    view = results["overhead"]["workloads"]["view"]
    task = results["overhead"]["workloads"]["task"]
    lines = []
    for title, summary in (("A cached request", view), ("A task", task)):
        off = summary["off"]
        lines.append(
            f"- **{title}** uses {off['cpu']['median_ms']:.2f} ms of CPU with Sentry off "
            f"({off['wall']['median_ms']:.2f} ms wall-clock). Sentry on without tracing: "
            f"{_cost(summary, 'errors')}; `traces_sample_rate` 0.01: "
            f"{_cost(summary, 'traces-0.01')}; 0.1: {_cost(summary, 'traces-0.1')}; 1.0: "
            f"{_cost(summary, 'traces-1.0')}; 1.0 with cache and middleware spans: "
            f"{_cost(summary, 'traces-1.0-spans')}."
        )
    lines.append(
        f"- **Memory**: a traced request's peak Python allocation is "
        f"{view['traces-1.0']['peak_memory_kib']:.0f} KiB with the HTTP transport, against "
        f"{view['off']['peak_memory_kib']:.0f} KiB with Sentry off and "
        f"{view['errors']['peak_memory_kib']:.0f} KiB without tracing."
    )
    return lines


def _project_table(results: dict) -> list[str]:
    docs = results["docs_build"]
    lines = [
        "| What | Median | Runs | Outcome |",
        "| --- | ---: | --- | --- |",
        f"| `{docs['command']}` (warm) | {docs['median_seconds']:.1f} s "
        f"| {', '.join(f'{s:.1f}' for s in docs['seconds'])} s | built |",
    ]
    for suite in results["test_suite"].values():
        runs = ", ".join(f"{r['seconds']:.1f}" for r in suite["runs"])
        outcome = "; ".join(dict.fromkeys(r["summary"] for r in suite["runs"]))
        lines.append(
            f"| `{suite['command']}` (warm venv) | {suite['median_seconds']:.1f} s "
            f"| {runs} s | {outcome} |"
        )
    serial_runs = results["test_suite"].get("serial", {}).get("runs", [])
    if slowest := serial_runs[0].get("slowest", []) if serial_runs else []:
        lines += ["", "Slowest tests of the serial run:", ""]
        lines += [f"- `{' '.join(line.split())}`" for line in slowest]
    return lines


def _pages_table(results: dict) -> list[str]:
    lines = [
        "| Page | HTML | With its assets |",
        "| --- | ---: | ---: |",
    ]
    for page in results["docs_build"]["pages"]:
        lines.append(
            f"| `{page['page']}` | {page['html_bytes'] / 1024:.0f} KiB "
            f"| {page['total_bytes'] / 1024:.0f} KiB |"
        )
    return lines


def markdown(results: dict) -> str:
    lines = [
        "<!-- Generated by `nox -s bench` (tests/benchmarks/run.py): do not edit by hand. -->",
        "",
    ]
    lines += _section("stamp", _stamp(results))
    lines += _section("summary", _summary(results))
    lines += _section("view", _overhead_table(results, "view"))
    lines += _section("task", _overhead_table(results, "task"))
    if "docs_build" in results:
        lines += _section("project", _project_table(results))
        lines += _section("pages", _pages_table(results))
    return "\n".join(lines)
