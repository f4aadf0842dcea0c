"""Mutation testing with cosmic-ray: `nox -s mutants`, or `python -m tests.mutants [MODULE ...]`.

Each mutant is one small change to one module (config.toml, operators.py); the module's tests
(config.toml) run against it and must fail. A mutant whose tests pass has survived; it is
explained if equivalent.txt lists it with the reason no reader could observe it. The run fails
if a survivor is unexplained, if a module's tests fail without a mutation, or if a mutant could
not be run.

How, step by step:
1. The working tree is copied, once per job, to a temporary directory: cosmic-ray writes each
   mutant into the file on disk, and the tree itself is never touched.
2. Each module's tests run once without a mutation, under coverage with one context per test.
   They must pass. Coverage tells, for each function, which of those tests run its body.
3. A mutant inside a function's body is judged by the tests that run that body; any other
   mutant (module level, class body, signature, decorator), or one in a function that also runs
   outside a test (at Django start-up), by all of the module's tests. pytest runs them quickest
   first, as timed in step 2, with -x: a killed mutant costs the tests up to the first that fails.
4. pytest runs in a child forked from a worker that has imported the libraries (forked.py).
5. Results go to cosmic-ray's session database in .mutants/ (`cosmic-ray dump`, `cr-report`);
   a full run writes tests/mutants/results.md, a run over some modules .mutants/some-PID.md.
"""

import argparse
import fcntl
import fnmatch
import json
import multiprocessing
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import cosmic_ray.commands
import cosmic_ray.mutating
import parso
from cosmic_ray.mutating import mutate_and_test
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

from tests.mutants import forked, operators

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
CONFIG = HERE / "config.toml"
EQUIVALENT = HERE / "equivalent.txt"
RESULTS = HERE / "results.md"
WORKDIR = ROOT / ".mutants"
PYTEST = [*forked.PYTEST, "-q", "-p", "no:cacheprovider", *forked.PLUGINS]

# --- what is mutated, and which tests judge it --------------------------------------------------


def _pattern(glob: str) -> re.Pattern:
    regex = re.escape(glob).replace(r"\{page\}", "(?P<page>[^/]+)")
    regex = regex.replace(r"\*\*/", "(?:.+/)?").replace(r"\*", "[^/]*")
    return re.compile(regex + r"\Z")


def tests_for(module: str, config: dict) -> tuple[str, ...]:
    """The test files that judge `module`: those of the first [tests] pattern that matches."""
    for glob, tests in config["tests"].items():
        if match := _pattern(glob).match(module):
            found = tuple(test.format(**match.groupdict()) for test in tests)
            files = [test.partition("::")[0] for test in found]  # a file, or one of its tests
            if missing := [file for file in files if not (ROOT / file).is_file()]:
                raise SystemExit(f"{module}: no test file {', '.join(missing)}")
            return found
    raise SystemExit(f"{module}: no [tests] pattern in {CONFIG.name} matches it")


def modules_to_mutate(config: dict, only: list[str]) -> list[str]:
    found = []
    for path in map(ROOT.joinpath, config["paths"]):
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        found += [file.relative_to(ROOT).as_posix() for file in files]
    found = [m for m in found if not any(fnmatch.fnmatch(m, g) for g in config["skip"]["modules"])]
    if unknown := set(only) - set(found):
        raise SystemExit(f"not mutated according to {CONFIG.name}: {', '.join(sorted(unknown))}")
    return [m for m in found if m in only] if only else found


def _walk(node):
    yield node
    for child in getattr(node, "children", ()):
        yield from _walk(child)


def annotations(tree) -> list[tuple]:
    """(start, end) of every type annotation in a parso tree."""
    spans = []
    for node in _walk(tree):
        if node.type == "tfpdef":
            spans.append(node.children[2])
        elif node.type == "annassign":
            spans.append(node.children[1])
        elif node.type == "funcdef":
            kinds = [child.type == "operator" and child.value == "->" for child in node.children]
            if any(kinds):
                spans.append(node.children[kinds.index(True) + 1])
    return [(span.start_pos, span.end_pos) for span in spans]


def function_bodies(tree) -> list[tuple]:
    """(start, end) of the body of every function, innermost last."""
    bodies = [node.children[-1] for node in _walk(tree) if node.type == "funcdef"]
    return [(body.start_pos, body.end_pos) for body in bodies]


def within(position, span) -> bool:
    return span[0] <= tuple(position) < span[1]


# --- the copies of the tree and what runs in them ------------------------------------------------


def copy_tree(destination: Path) -> None:
    """The working tree as it is: uncommitted changes included, ignored files left out."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)


def _start_worker(trees) -> None:
    operators.register()
    os.chdir(trees.get())
    forked.preload()
    cosmic_ray.mutating.run_tests = forked.run_tests  # the same command, in a forked child


DURATION = re.compile(r"(\d+\.\d+)s (?:setup|call|teardown) +(\S.*)")


def durations(output: str) -> dict[str, float]:
    """Seconds per test (setup, call and teardown) from pytest's `--durations=0` report."""
    seconds = defaultdict(float)
    for line in output.splitlines():
        if match := DURATION.fullmatch(line):
            seconds[match[2]] += float(match[1])
    return dict(seconds)


def _map_tests(tests: tuple[str, ...], modules: list[str], timeout: float):
    """Run `tests` once without a mutation, under coverage: did they pass, how long each test
    took, and which tests ran each line of `modules` ("" for a line run outside any test)."""
    from coverage import CoverageData

    data_file = Path.cwd() / f".coverage-{os.getpid()}"
    rc = Path.cwd() / f".coveragerc-{os.getpid()}"
    # patch=subprocess: lines run by `manage.py` or a Celery worker in a child process count too.
    include = "".join(f"\n    {Path.cwd() / module}" for module in modules)
    rc.write_text(f"[run]\npatch = subprocess\ninclude ={include}\n")
    os.environ["COVERAGE_FILE"] = str(data_file)
    command = [*PYTEST, "-p", "pytest_cov.plugin", "--cov", f"--cov-config={rc}"]
    command += ["--cov-context=test", "--cov-report="]
    command += ["--durations=0", "--durations-min=0"]
    started = time.monotonic()
    outcome, output = forked.run_tests(shlex.join([*command, *tests]), timeout)
    seconds = time.monotonic() - started
    del os.environ["COVERAGE_FILE"]
    lines = {}
    if outcome == TestOutcome.SURVIVED:
        data = CoverageData(str(data_file))
        data.read()
        for module in modules:
            by_line = data.contexts_by_lineno(str(Path.cwd() / module))
            lines[module] = {n: {c.rpartition("|")[0] for c in cs} for n, cs in by_line.items()}
    return tests, outcome == TestOutcome.SURVIVED, output, seconds, lines, durations(output)


def _run_mutant(job_id, mutations, command, timeout):
    return job_id, mutate_and_test(mutations, command, timeout)


# --- a run ----------------------------------------------------------------------------------


def choose_tests(position, bodies, lines, seconds: dict[str, float]) -> list[str]:
    """The tests for a mutant at `position`, quickest first (see the module docstring, step 3).
    `seconds`: every test of the module, with the time it took."""
    chosen = seconds.keys()
    inside = [body for body in bodies if within(position, body)]
    if inside:
        (first, _), (last, _) = inside[-1]
        ran = set().union(*(lines.get(n, ()) for n in range(first, last + 1)))
        if ran and "" not in ran:
            chosen = ran
    if untimed := set(chosen) - seconds.keys():
        raise LookupError(f"coverage saw tests that pytest did not time: {sorted(untimed)}")
    return sorted(chosen, key=lambda test: (seconds[test], test))


def run(config: dict, modules: list[str], jobs: int, db_path: Path) -> dict:
    started = time.monotonic()
    facts = {"jobs": jobs, "load": [os.getloadavg()], "failed": {}, "modules": modules}
    dirty = " with uncommitted changes" if _git("status", "--porcelain", "-uno") else ""
    facts["tree"] = _git("rev-parse", "--short", "HEAD") + dirty
    tests = {module: tests_for(module, config) for module in modules}
    by_tests = defaultdict(list)
    for module, files in tests.items():
        by_tests[files].append(module)
    trees = {m: parso.parse((ROOT / m).read_text()) for m in modules}

    db_path.parent.mkdir(exist_ok=True)
    with (
        use_db(str(db_path), WorkDB.Mode.create) as db,
        tempfile.TemporaryDirectory(prefix="mutants-") as tmp,
        multiprocessing.Manager() as manager,
    ):
        cosmic_ray.commands.init([Path(m) for m in modules], db, {})
        queue = manager.Queue()
        for n in range(jobs):
            copy_tree(Path(tmp) / str(n))
            queue.put(Path(tmp) / str(n))
        with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(queue,)) as pool:
            mapped = [pool.submit(_map_tests, files, ms, 900) for files, ms in by_tests.items()]
            lines, timeouts, test_seconds = {}, {}, {}
            for done in as_completed(mapped):
                files, passed, output, seconds, module_lines, by_test = done.result()
                if not passed:
                    facts["failed"][" ".join(files)] = output
                lines.update(module_lines)
                timeouts[files] = max(120.0, 10 * seconds)
                test_seconds[files] = by_test
            print(f"tests mapped in {(time.monotonic() - started) / 60:.1f} min")

            pending = []
            skip_annotations = config["skip"]["annotations"]
            spans = {m: annotations(tree) for m, tree in trees.items()}
            bodies = {m: function_bodies(tree) for m, tree in trees.items()}
            for item in db.pending_work_items:
                mutation = item.mutations[0]
                module = mutation.module_path.as_posix()
                if module not in lines:  # its tests fail without a mutation: nothing to judge
                    reason = "the module's tests fail without a mutation"
                    db.set_result(item.job_id, WorkResult(WorkerOutcome.SKIPPED, output=reason))
                    continue
                if skip_annotations and any(within(mutation.start_pos, s) for s in spans[module]):
                    reason = "inside a type annotation"
                    db.set_result(item.job_id, WorkResult(WorkerOutcome.SKIPPED, output=reason))
                    continue
                at = mutation.start_pos
                seconds = test_seconds[tests[module]]
                chosen = choose_tests(at, bodies[module], lines[module], seconds)
                command = shlex.join([*PYTEST, "-x", *chosen])
                pending.append((item, command, timeouts[tests[module]]))
            print(f"{len(pending)} mutants in {len(modules)} modules, {jobs} jobs")
            db_path.with_suffix(".json").write_text(json.dumps(facts))

            futures = [pool.submit(_run_mutant, i.job_id, i.mutations, c, t) for i, c, t in pending]
            outcomes = Counter()
            try:
                for count, done in enumerate(as_completed(futures), 1):
                    job_id, result = done.result()
                    db.set_result(job_id, result)
                    outcomes[result.test_outcome or result.worker_outcome] += 1
                    if count % 50 == 0 or count == len(futures):
                        minutes = (time.monotonic() - started) / 60
                        so_far = ", ".join(
                            f"{n} {outcome.value}" for outcome, n in outcomes.items()
                        )
                        print(f"{count}/{len(futures)} mutants, {minutes:.1f} min: {so_far}")
            except BaseException:
                pool.shutdown(cancel_futures=True)  # Ctrl-C: stop after the running mutants
                raise
    facts["seconds"] = time.monotonic() - started
    cpu = os.times()  # the workers and their pytest children, waited for by now
    facts["cpu_seconds"] = cpu.user + cpu.system + cpu.children_user + cpu.children_system
    facts["load"].append(os.getloadavg())
    db_path.with_suffix(".json").write_text(json.dumps(facts))
    return facts


# --- judging the survivors -------------------------------------------------------------------


def describe(diff: str) -> str:
    """A mutant in one line: the lines it changes, stripped, `before => after`."""
    before, after = [], []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("-"):
            before.append(line[1:].strip())
        elif line.startswith("+"):
            after.append(line[1:].strip())
    return f"{' / '.join(before)} => {' / '.join(after) or '(removed)'}"


def load_explanations() -> dict[tuple[str, str], str]:
    """equivalent.txt: `module | before => after | reason`, one surviving mutant a line."""
    explained = {}
    for number, line in enumerate(EQUIVALENT.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        module, _, rest = line.partition(" | ")
        change, _, reason = rest.rpartition(" | ")
        if not (module and change and reason.strip()):
            raise SystemExit(f"{EQUIVALENT.name}:{number}: want `module | change | reason`")
        explained[(module, change)] = reason
    return explained


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def report(db_path: Path, facts: dict) -> tuple[str, bool]:
    explained = load_explanations()
    used, unexplained, broken = set(), [], []
    rows = defaultdict(Counter)
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            module = item.mutations[0].module_path.as_posix()
            operator = item.mutations[0].operator_name
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            counts = rows[module]
            counts["mutants"] += 1
            if result.worker_outcome != WorkerOutcome.NORMAL:
                counts["not run"] += 1
                broken.append((module, operator, result.output or ""))
            elif result.test_outcome == TestOutcome.KILLED:
                counts["killed"] += 1
            else:
                counts["survived"] += 1
                key = (module, describe(result.diff))
                if key in explained:
                    counts["explained"] += 1
                    used.add(key)
                else:
                    counts["unexplained"] += 1
                    unexplained.append((module, operator, result.diff))

        pending = sum(1 for _ in db.pending_work_items)
    columns = ["mutants", "killed", "survived", "explained", "unexplained", "not run"]
    total = sum(rows.values(), Counter())
    load = " → ".join(" ".join(f"{x:.2f}" for x in loads) for loads in facts["load"])
    if "seconds" in facts:
        took = f"{facts['seconds'] / 60:.1f} minutes ({facts['cpu_seconds'] / 60:.1f} of CPU time)"
    else:
        took = "still running"
    lines = [
        "# Mutation testing results",
        "",
        f"Written by `{facts.get('command', 'nox -s mutants')}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC over the working tree at "
        f"{facts.get('tree', 'an unrecorded commit')}: cosmic-ray {version('cosmic-ray')}, "
        f"{facts['jobs']} jobs on {os.cpu_count()} CPUs, {took}, load average {load or '?'} "
        "(the machine is shared with other work).",
        *(
            [f"**Incomplete**: {pending} more mutants had not been run when this was written."]
            if pending
            else []
        ),
        "What is mutated, which tests judge each module and what is left out: `config.toml`. "
        "Survivors that no reader could observe, each with the reason: `equivalent.txt`.",
        "",
        "| module | " + " | ".join(columns) + " |",
        "| --- |" + " ---: |" * len(columns),
    ]
    for module in sorted(rows):
        lines.append(f"| `{module}` | " + " | ".join(str(rows[module][c]) for c in columns) + " |")
    lines.append("| **total** | " + " | ".join(f"**{total[c]}**" for c in columns) + " |")
    for tests, output in facts["failed"].items():
        lines += ["", f"## Failing without a mutation, so not judged: `{tests}`", ""]
        lines += ["```", output[-3000:], "```"]
    if unexplained:
        lines += ["", "## Unexplained survivors", ""]
        for module, operator, diff in unexplained:
            lines += [f"`{module} | {describe(diff)}` ({operator})", "", "```diff", diff, "```", ""]
    for module, operator, output in broken:
        lines += ["", f"## Not run: `{module}` {operator}", "", "```", output[-2000:], "```"]
    judged = {module for module in facts["modules"] if module in rows}
    stale = [k for k in explained if k[0] in judged and k not in used]
    if stale:
        lines += ["", "## Lines of equivalent.txt that match no survivor (remove them)", ""]
        lines += [f"- `{module} | {change}`" for module, change in stale]
    ok = not (unexplained or broken or facts["failed"] or pending)
    return "\n".join(lines).rstrip() + "\n", ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="only these (paths as config.toml finds them)")
    # One more than the CPUs: with one job a CPU, the load average stayed at 1.5 to 1.8 on two
    # CPUs (the tests wait on Celery workers, Redis and subprocesses).
    jobs = (os.cpu_count() or 1) + 1
    parser.add_argument("--jobs", type=int, default=jobs, help="mutants run at once")
    parser.add_argument(
        "--report",
        action="store_true",
        help="run nothing: judge the last full run's mutants again (after editing equivalent.txt)",
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress lines as they come, through nox too

    operators.register()
    operators.check_examples()
    config = tomllib.loads(CONFIG.read_text())
    modules = modules_to_mutate(config, args.modules)
    if args.report:
        db_path = WORKDIR / "session.sqlite"
        facts_file = db_path.with_suffix(".json")
        facts = json.loads(facts_file.read_text()) if facts_file.exists() else {}
        facts = {"jobs": args.jobs, "load": [], "failed": {}, "modules": modules, **facts}
        facts["command"] = "python -m tests.mutants --report"  # judged again, nothing run
        text, ok = report(db_path, facts)
        RESULTS.write_text(text)
        print(text[:20000])
        return 0 if ok else 1
    # A run over some modules has files of its own, so that runs can go on side by side.
    name = f"some-{os.getpid()}" if args.modules else "session"
    db_path = WORKDIR / f"{name}.sqlite"
    WORKDIR.mkdir(exist_ok=True)
    lock = (WORKDIR / f"{name}.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"Another run is using {db_path.relative_to(ROOT)}") from None
    text, ok = report(db_path, run(config, modules, args.jobs, db_path))
    results = WORKDIR / f"{name}.md" if args.modules else RESULTS
    results.write_text(text)
    print(text[:20000])
    print(f"Written to {results.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
