"""How fast the project itself is: the strict docs build and the whole test suite, warm.

Both run in subprocesses with this interpreter (the bench session's venv, already installed,
so "warm"), from a clean environment: no SENTRY_*, HEROKU_* or Django settings of the caller.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from site_weight import page_weights

from harness.environ import clean_environ
from harness.site import mkdocs_build

ROOT = Path(__file__).resolve().parents[2]
SLOW_TEST = re.compile(r"^\d+\.\d+s (setup|call|teardown) ")


def _clean_environ() -> dict[str, str]:
    return clean_environ(NO_MKDOCS_2_WARNING="1")


def _timed_run(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    completed = subprocess.run(
        args, cwd=ROOT, env=_clean_environ(), capture_output=True, text=True, check=False
    )
    return time.perf_counter() - start, completed


def docs_build_timings(runs: int) -> dict:
    """`mkdocs build --strict`, once to warm up, then `runs` times; and the page weights."""
    with tempfile.TemporaryDirectory(prefix="bench-site-") as site:
        build = mkdocs_build(site)
        _timed_run(build)
        seconds = []
        for _ in range(runs):
            elapsed, completed = _timed_run(build)
            if completed.returncode != 0:
                raise RuntimeError(f"mkdocs build --strict failed:\n{completed.stderr}")
            seconds.append(elapsed)
        weights = page_weights(Path(site))
    return {
        "command": "mkdocs build --strict",
        "seconds": seconds,
        "median_seconds": statistics.median(seconds),
        "pages": [
            {
                "page": w.page,
                "html_bytes": w.html_bytes,
                "asset_bytes": w.asset_bytes,
                "total_bytes": w.total_bytes,
            }
            for w in weights
        ],
    }


def _summary_line(output: str) -> str:
    lines = [line.strip("= ") for line in output.strip().splitlines() if line.strip()]
    outcomes = ("passed", "failed", "error")
    return next(
        (line for line in reversed(lines) if " in " in line and any(o in line for o in outcomes)),
        lines[-1] if lines else "",
    )


def suite_timings(runs: int) -> dict:
    """The whole suite as `nox -s tests` runs it (with coverage, without tests/browser, which
    `nox -s browser` runs), serial and with `-n 2`; and the slowest tests of each run.

    A test module that does not import does not stop the run, so the time is always the
    whole suite's; the outcome column says what failed.
    """
    pytest = [sys.executable, "-m", "pytest", "-q", "--cov", "--cov-report="]
    pytest += ["--ignore=tests/browser", "--continue-on-collection-errors", "--durations=5"]
    variants = {"serial": pytest, "xdist -n 2": [*pytest, "-n", "2"]}
    results = {
        name: {"command": " ".join(["pytest", *args[3:]]), "runs": []}
        for name, args in variants.items()
    }
    for _ in range(runs):  # interleaved, like the overhead benchmark
        for name, args in variants.items():
            elapsed, completed = _timed_run(args)
            results[name]["runs"].append(
                {
                    "seconds": elapsed,
                    "exit_code": completed.returncode,
                    "summary": _summary_line(completed.stdout),
                    # Enough to see why a run failed, when it did.
                    "failures": [
                        line
                        for line in completed.stdout.splitlines()
                        if line.startswith(("FAILED", "ERROR"))
                    ][:20],
                    "slowest": [
                        line for line in completed.stdout.splitlines() if SLOW_TEST.match(line)
                    ],
                }
            )
    for result in results.values():
        result["median_seconds"] = statistics.median(r["seconds"] for r in result["runs"])
    return results
