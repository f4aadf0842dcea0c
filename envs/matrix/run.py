"""The version matrix (`nox -s matrix`): the guide's test suite on the Python, Django, Celery and
sentry-sdk versions readers use, one combination at a time. Writes envs/matrix/results/support.md
(the "Tested with" table on the Setup page) and support.json.

Each combination gets its own virtualenv (.nox/matrix/envs/<name>) with `uv pip install`: the
combination's Django, Celery and sentry-sdk (and redis-py, which Celery 5.5 keeps below 6), and
uv.lock's versions of everything else. The first row installs uv.lock's versions, whole.
Payload files are never rewritten here: they are recorded with uv.lock's versions by
`nox -s tests -- --update-payloads`, and every combination is compared with them.

    python envs/matrix/run.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).parent / "results"
ENVS = ROOT / ".nox" / "matrix" / "envs"

# The oldest sentry-sdk that does what the guide says, found by running its tests on each
# release: 2.70.0 is the first whose `init` accepts `data_collection` (2.69.2: "Unknown
# option"); `send_default_pii` warns from 2.72.0 on (test_context.py); a beat interval that is
# not whole minutes is skipped from 2.73.0 on (2.72.0 still sends its check-ins:
# test_crons_troubleshooting.py); a worker keeps the web dyno's sample rate in the trace it
# continues from 2.74.0 on (2.73.0 writes its own: test_celery.py, the per-dyno rates).
OLDEST_SENTRY_SDK = "2.74.0"
DJANGO = {"5.2": "django>=5.2,<5.3", "6.x": "django>=6,<7"}
CELERY = {"5.5": "celery[redis]>=5.5,<5.6", "5.7": "celery[redis]>=5.7,<5.8"}
SENTRY_SDK = {"oldest": f"sentry-sdk=={OLDEST_SENTRY_SDK}", "newest": "sentry-sdk>=2,<3"}
# Left out of uv.lock's constraints: the packages a combination changes, and theirs.
UNPINNED = {
    "django", "asgiref", "sqlparse",
    "celery", "kombu", "billiard", "vine", "amqp", "click", "click-didyoumean", "click-plugins",
    "click-repl", "python-dateutil", "tzlocal", "sentry-sdk",
}  # fmt: skip
# Only true of the locked combination, and left out of the others: these tests check that the
# Python and packages the tests run on are the ones the site names (uv.lock, .python-version,
# the Setup page's install lines).
LOCK_ONLY = [
    "versions_are_the_ones_the_tests_run_with",
    "python_version_file_names_the_python_the_tests_run_on",
    "install_tabs_name_the_same_requirements_as_the_example_app",
]

# Left out of every row: it checks the README against this run's own output (support.md).
OWN_OUTPUT = ["supported_versions_are_the_support_tables"]


@dataclass(frozen=True)
class Combination:
    python: str
    django: str
    celery: str
    sentry_sdk: str  # "oldest" or "newest"

    @property
    def name(self) -> str:
        return f"py{self.python}-django{self.django}-celery{self.celery}-sdk-{self.sentry_sdk}"


# Every pair of versions of two different packages occurs in at least one row (Django 6.x
# needs Python 3.12 or newer). The first row is uv.lock's: the payloads are recorded with it.
COMBINATIONS = [
    Combination("3.11", "5.2", "5.7", "newest"),
    Combination("3.11", "5.2", "5.5", "oldest"),
    Combination("3.12", "5.2", "5.5", "newest"),
    Combination("3.12", "6.x", "5.7", "oldest"),
    Combination("3.13", "6.x", "5.5", "newest"),
    Combination("3.13", "5.2", "5.7", "oldest"),
]


@dataclass
class Result:
    combination: Combination
    versions: dict[str, str] = field(default_factory=dict)
    passed: int = 0
    failed: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)  # test -> its failure, first line
    skipped: int = 0
    seconds: float = 0.0
    problem: str = ""  # why nothing ran (no interpreter, install failed)


def interpreter(version: str) -> str | None:
    """python3.X on PATH (one that runs: a pyenv shim may not), else pyenv's newest 3.X build."""
    found = shutil.which(f"python{version}")
    if found and subprocess.run([found, "-c", ""], capture_output=True).returncode == 0:
        return found
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    builds = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True).stdout
    matching = [b for b in builds.split() if b.startswith(f"{version}.") and b.count(".") == 2]
    if not matching:
        return None
    newest = max(matching, key=lambda b: int(b.split(".")[2]))
    prefix = subprocess.run([pyenv, "prefix", newest], capture_output=True, text=True).stdout
    return str(Path(prefix.strip()) / "bin" / f"python{version}")


def locked_constraints(unpinned: set[str]) -> str:
    exported = subprocess.run(
        ["uv", "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-header",
         "--no-annotate", "--group", "tests", "--group", "docs"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return "".join(
        line + "\n"
        for line in exported.splitlines()
        if line and line.split("==")[0].split(";")[0].strip() not in unpinned
    )


def requirements(combination: Combination) -> list[str]:
    """pyproject's dependencies and the tests and docs groups, with this combination's three."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    names = {"django": DJANGO[combination.django], "celery": CELERY[combination.celery]}
    if combination.celery == "5.5":
        names["redis"] = "redis"  # celery[redis] 5.5 needs redis-py < 6: the newest it allows
    names["sentry-sdk"] = SENTRY_SDK[combination.sentry_sdk]
    listed = [*project["project"]["dependencies"]]
    for group in ("tests", "docs"):
        listed += project["dependency-groups"][group]
    out = []
    for requirement in listed:
        name = requirement.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip()
        out.append(names.pop(name.lower(), requirement))
    return out + list(names.values())


def run(combination: Combination, tests: list[str] = ()) -> Result:
    result = Result(combination)
    # The first row is uv.lock's, whole; the others leave their own packages free.
    unpinned = set() if combination == COMBINATIONS[0] else UNPINNED | {"redis", "async-timeout"}
    constraints = ENVS / f"{combination.name}-constraints.txt"
    constraints.write_text(locked_constraints(unpinned))
    python = interpreter(combination.python)
    if python is None:
        result.problem = f"no Python {combination.python} interpreter found"
        return result
    venv = ENVS / combination.name
    env = {**os.environ, "VIRTUAL_ENV": str(venv), "UV_COMPILE_BYTECODE": "1"}
    subprocess.run(["uv", "venv", "-q", "--clear", "--python", python, str(venv)], check=True)
    install = subprocess.run(
        ["uv", "pip", "install", "-q", "--python", f"{venv}/bin/python",
         "--constraint", str(constraints), *requirements(combination)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if install.returncode:
        result.problem = "install failed: " + install.stderr.strip().splitlines()[-1][:200]
        return result
    freeze = subprocess.run(
        ["uv", "pip", "freeze", "--python", f"{venv}/bin/python"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    pins = dict(line.split("==", 1) for line in freeze.stdout.splitlines() if "==" in line)
    result.versions = {
        "Python": subprocess.run(
            [f"{venv}/bin/python", "-c", "import platform; print(platform.python_version())"],
            capture_output=True, text=True,
        ).stdout.strip(),
        **{label: pins[name] for name, label in
           [("django", "Django"), ("celery", "Celery"), ("sentry-sdk", "sentry-sdk"),
            ("redis", "redis-py")]},
    }  # fmt: skip
    report = venv / "junit.xml"
    report.unlink(missing_ok=True)
    left_out = [*OWN_OUTPUT, *([] if combination == COMBINATIONS[0] else LOCK_ONLY)]
    selection = ["-k", " and ".join(f"not {name}" for name in left_out)]
    started = time.monotonic()
    test_env = {
        k: v
        for k, v in env.items()
        if not k.startswith(("SENTRY_", "HEROKU_")) and k not in ("DYNO", "DJANGO_SETTINGS_MODULE")
    }
    subprocess.run(
        [f"{venv}/bin/python", "-m", "pytest", "--ignore=tests/browser",
         "-q", "--tb=short", f"--junitxml={report}", *selection, *tests],
        cwd=ROOT, env=test_env,
    )  # fmt: skip
    result.seconds = round(time.monotonic() - started)
    if not report.exists():
        result.problem = "pytest wrote no report"
        return result
    for case in ET.parse(report).iter("testcase"):
        test = f"{case.get('classname')}::{case.get('name')}"
        if case.find("skipped") is not None:
            result.skipped += 1
        elif (failure := case.find("failure")) is not None or (
            failure := case.find("error")
        ) is not None:
            result.failed.append(test)
            result.messages[test] = (failure.get("message") or "").strip().splitlines()[0][:160]
        else:
            result.passed += 1
    return result


def table(results: list[Result], started: datetime.datetime, seconds: float) -> str:
    lines = [
        "<!-- Generated by envs/matrix/run.py (nox -s matrix). Do not edit. -->",
        f"Run on {started:%Y-%m-%d} by `nox -s matrix`, one combination after another"
        f" ({sum(r.seconds for r in results) / 60:.0f} minutes of test runs on two shared CPUs)."
        " The first row is `uv.lock`'s: the payloads on this site are recorded with it, and"
        " every other row is compared with them.",
        "",
        "| Python | Django | Celery | sentry-sdk | redis-py | Result |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    baseline = (
        set(results[0].failed) if results and results[0].combination == COMBINATIONS[0] else set()
    )
    for r in results:
        v = r.versions
        if r.problem:
            c = r.combination
            cells = [c.python, c.django, c.celery, c.sentry_sdk, "", f"not run: {r.problem}"]
        else:
            own = [t for t in r.failed if t not in baseline] if r is not results[0] else r.failed
            own = [t for t in own if r is results[0] or not any(n in t for n in LOCK_ONLY)]
            names = "; ".join(
                f"`{test.split('::')[-1]}` ({cell(r.messages.get(test, ''))})" for test in own[:5]
            )
            more = " ..." if len(own) > 5 else ""
            outcome = f"{r.passed} tests pass"
            if own:
                outcome += f", **{len(own)} fail**: {names}{more}"
            as_first = len([t for t in r.failed if t in baseline])
            if as_first and r is not results[0]:
                outcome += f"; {as_first} fail as on the first row"
            cells = [v["Python"], v["Django"], v["Celery"], v["sentry-sdk"], v["redis-py"], outcome]
        lines.append("| " + " | ".join(cells) + " |")
    passing = [
        r
        for r in results
        if not r.problem and all(t in baseline or any(n in t for n in LOCK_ONLY) for t in r.failed)
    ]
    lines.append("")
    if passing:
        seen = {
            label: sorted({r.versions[label] for r in passing}, key=_version_key)
            for label in ("Python", "Django", "Celery", "sentry-sdk")
        }
        lines.append(
            (
                "Every test that passes with `uv.lock`'s versions passes on: "
                if baseline
                else "Every test passes on: "
            )
            + "; ".join(f"{label} {', '.join(found)}" for label, found in seen.items())
            + "."
        )
    if baseline:
        lines.append(
            f"{len(baseline)} tests failed with `uv.lock`'s versions too when this ran (the first"
            " row): they say nothing about versions, and the other rows name only the failures"
            " of their own."
        )
    if len(passing) < len(results):
        lines.append(
            "On a row marked failing, the named tests are what differs there: stay on the"
            " versions of a passing row (the first is `uv.lock`'s) until it passes."
        )
    return "\n".join(lines) + "\n"


def cell(text: str) -> str:
    """Text as a Markdown table cell shows it: no HTML, no column break, no code span."""
    return html.escape(text).replace("|", "&#124;").replace("`", "&#96;") or "no message"


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="combination names (default: all)")
    parser.add_argument("--merge", action="store_true", help="--only rows replace theirs")
    parser.add_argument("--tests", nargs="*", default=[], help="pytest arguments (with --only)")
    parser.add_argument("--table-from", type=Path, help="rewrite support.md from a support.json")
    args = parser.parse_args()
    if args.table_from:
        raw = json.loads(args.table_from.read_text())
        results = [
            Result(**{**r, "combination": Combination(**r["combination"])}) for r in raw["results"]
        ]
        started = datetime.datetime.fromisoformat(raw["date"])
        (args.table_from.parent / "support.md").write_text(table(results, started, raw["seconds"]))
        return
    assert not args.tests or (args.only and not args.merge), "--tests needs --only, not --merge"
    chosen = [c for c in COMBINATIONS if not args.only or c.name in args.only]
    assert chosen, f"no combination named {args.only}"
    ENVS.mkdir(parents=True, exist_ok=True)
    started, clock = datetime.datetime.now(datetime.UTC), time.monotonic()
    results = []
    for combination in chosen:
        print(f"== {combination.name}", flush=True)
        results.append(run(combination, args.tests))
    seconds = time.monotonic() - clock
    if args.only and args.merge:  # these rows replace theirs in the last full run's results
        raw = json.loads((RESULTS / "support.json").read_text())
        fresh = {r.combination.name: r for r in results}
        results = [
            fresh.get(old.combination.name, old)
            for old in (
                Result(**{**r, "combination": Combination(**r["combination"])})
                for r in raw["results"]
            )
        ]
    out = RESULTS if not args.only or args.merge else ENVS
    out.mkdir(exist_ok=True)
    (out / "support.md").write_text(table(results, started, seconds))
    raw = {"date": started.isoformat(timespec="seconds"), "seconds": round(seconds)}
    raw["results"] = [asdict(r) for r in results]
    (out / "support.json").write_text(json.dumps(raw, indent=2) + "\n")
    print((out / "support.md").read_text())
    sys.exit(1 if any(r.failed or r.problem for r in results) else 0)


if __name__ == "__main__":
    main()
