"""`nox -s bench`: the Sentry overhead benchmark and the project's own speed, in one report.

    python tests/benchmarks/run.py            # everything, writes tests/benchmarks/results/
    python tests/benchmarks/run.py --quick    # a short smoke run, written to a temp dir

Writes overhead.json (every figure) and overhead.md (the tables the performance page
includes) and prints the Markdown.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]  # tests/ (the harness), docs_macros

import project_speed  # noqa: E402
import report  # noqa: E402

from docs_macros import VERIFIED_PACKAGES  # noqa: E402


def _overhead(rounds: int, block: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as workdir:
        out = Path(workdir) / "overhead.json"
        subprocess.run(
            [
                sys.executable,
                str(HERE / "overhead.py"),
                "--rounds",
                str(rounds),
                "--block",
                str(block),
                "--out",
                str(out),
            ],
            check=True,
        )
        return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds, no test suite")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--suite-runs", type=int, default=1)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="bench-quick-")) if args.quick else args.out

    results = {
        "date": datetime.date.today().isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": f"{platform.system()} {platform.machine()}",
        },
        "versions": {"Python": platform.python_version()}
        | {label: version(name) for name, label in VERIFIED_PACKAGES.items()},
        "overhead": _overhead(rounds=3, block=10) if args.quick else _overhead(rounds=40, block=10),
        # Other processes competing for the CPUs make wall-clock times noisy; CPU times less so.
        "load_average_after_overhead": round(os.getloadavg()[0], 1),
        "docs_build": project_speed.docs_build_timings(runs=1 if args.quick else 3),
    }
    if not args.quick:
        results["test_suite"] = project_speed.suite_timings(runs=args.suite_runs)
    else:
        results["test_suite"] = {}

    out.mkdir(parents=True, exist_ok=True)
    (out / "overhead.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    table = report.markdown(results)
    (out / "overhead.md").write_text(table)
    print(table)
    print(f"Written to {out}/overhead.json and overhead.md")


if __name__ == "__main__":
    main()
