"""Sessions: `nox` runs lint, tests and docs; `nox -s docs-live` serves the site."""

import os
import sys
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).parent / "tests"))
from harness.chromium import CHROMIUM
from harness.environ import settings_in

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests", "docs"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


def install_groups(session: nox.Session, *groups: str) -> None:
    """Install the locked versions of the project's dependencies plus these groups."""
    args = ["uv", "sync", "--locked", "--no-install-project"]
    for group in groups:
        args += ["--group", group]
    session.run_install(
        *args,
        # Compiled bytecode: with PYTHONDONTWRITEBYTECODE set, every sentry_sdk.init would
        # otherwise recompile the integrations whose libraries are absent (~0.3 s each time).
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location, "UV_COMPILE_BYTECODE": "1"},
        silent=True,
    )


def clean_environ() -> dict[str, str | None]:
    """Never let a developer's own Sentry, Heroku, Django or Celery settings leak into a run.

    REDIS_URL stays: tests/harness/redis_server.py uses the server it names instead of starting one.
    """
    return {name: None for name in settings_in(os.environ) if name != "REDIS_URL"}


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the whole test suite, with 100% coverage of snippets/ required."""
    install_groups(session, "tests", "docs")  # docs: tests/test_site_weight.py builds the site
    session.run(
        "pytest",
        "--cov",
        "--cov-report=term-missing:skip-covered",
        "--ignore=tests/browser",  # nox -s browser runs them, on the built site
        *session.posargs,
        env=clean_environ(),
    )


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the site strictly into site/: a broken link, anchor or include fails."""
    install_groups(session, "docs")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session(name="docs-live", python=PYTHON)
def docs_live(session: nox.Session) -> None:
    """Serve the site on http://127.0.0.1:8000 and rebuild on every change."""
    install_groups(session, "docs")
    session.run(
        "mkdocs",
        "serve",
        "--strict",
        "--dev-addr",
        "127.0.0.1:8000",
        "--watch",
        "snippets",
        "--watch",
        "example_app",
        "--watch",
        "tests",
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and format check over all Python, snippets included."""
    install_groups(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Sentry's overhead, the docs build and test suite times, page weights: writes
    tests/benchmarks/results/ (`-- --quick` for a short run written to a temp dir)."""
    session.env["UV_COMPILE_BYTECODE"] = "1"  # a warm venv, as a deployed app has
    install_groups(session, "tests", "docs")
    session.run("python", "tests/benchmarks/run.py", *session.posargs, env=clean_environ())


@nox.session(python=PYTHON)
def mutants(session: nox.Session) -> None:
    """Mutation testing (cosmic-ray) of snippets/, hub/ and the bahk modules the pages show
    (tests/mutants/config.toml): every surviving mutant must be explained in
    tests/mutants/equivalent.txt; writes tests/mutants/results.md (`-- MODULE ...` for some
    modules only, written to .mutants/some-PID.md)."""
    install_groups(session, "tests", "docs", "mutants")
    session.run("python", "-m", "tests.mutants", *session.posargs, env=clean_environ())


# --8<-- [start:demo]
@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """bahk on this machine with Sentry Spotlight, until Ctrl-C: Redis, the Procfile's web,
    worker and beat, and Spotlight, on 127.0.0.1 (`-- --spotlight-port N`; default 8969).
    Needs Node.js 20 or newer. With SENTRY_DSN set, bahk sends to that project too."""
    install_groups(session, "demo")
    install_spotlight(session)
    env = {**clean_environ(), "PYTHONPATH": "tests"}
    env.pop("SENTRY_DSN", None)  # yours, if set: bahk sends to Sentry as well
    # Ctrl-C reaches the demo too: nox waits for it to stop every process it started.
    session.run("python", "-m", "demo", *session.posargs, env=env, interrupt_timeout=None)


def install_spotlight(session: nox.Session) -> None:
    """Spotlight from the npm registry, at the versions demo/spotlight/package-lock.json locks."""
    session.run_install(
        "npm", "ci", "--prefix", "demo/spotlight", "--no-audit", "--no-fund", "--loglevel=error",
        external=True,
    )  # fmt: skip


# --8<-- [end:demo]


@nox.session(python=PYTHON)
def browser(session: nox.Session) -> None:
    """Build the site, serve it on 127.0.0.1 and read it in headless Chromium: offline, search,
    copy buttons, payload tabs, axe-core; screenshots and axe reports go to site-check/."""
    if not os.path.exists(CHROMIUM):
        # Debian's Chromium: Playwright's own browser download is not an option here.
        if os.geteuid() != 0:
            session.error(f"{CHROMIUM} is missing: run `sudo apt-get install chromium`")
        apt = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-qq", external=True, env=apt)
        session.run("apt-get", "install", "-y", "-qq", "chromium", external=True, env=apt)
    install_groups(session, "tests", "docs", "browser")
    install_spotlight(session)  # tests/browser/test_demo.py runs the demo
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})
    session.run("pytest", "tests/browser", *session.posargs, env=clean_environ())


SDK3_REQUIREMENTS = "envs/sdk3/requirements.txt"  # uv.lock's versions, sentry-sdk 3.0.0b2


@nox.session(python=PYTHON)
def sdk3(session: nox.Session) -> None:
    """The guide's tests on sentry-sdk 3.0.0b2: the Moving to sentry-sdk 3 page's tests must pass;
    the other pages' tests are run twice (as written, then with the 3.x bahk/sentry.py) and
    envs/sdk3/results/breakage.md records which fail and why (`-- --quick`: page tests only)."""
    session.run_install(
        "uv", "pip", "sync", SDK3_REQUIREMENTS,
        env={"VIRTUAL_ENV": session.virtualenv.location, "UV_COMPILE_BYTECODE": "1"},
        silent=True,
    )  # fmt: skip
    env = clean_environ()
    session.run("pytest", "tests/docs/test_moving_to_sdk3.py", env=env)
    if "--quick" in session.posargs:
        return
    guide = ["tests/docs", "tests/app", "--deselect", "tests/docs/test_moving_to_sdk3.py"]
    guide += ["--ignore-glob", "*scratch*", "--continue-on-collection-errors", "-q", "--tb=no"]
    guide += ["-rN"]
    reports = [f"{session.create_tmp()}/as-written.xml", f"{session.create_tmp()}/with-3x.xml"]
    # Failures are the point of these two runs: the record says which and why.
    session.run("pytest", *guide, f"--junitxml={reports[0]}", env=env, success_codes=[0, 1])
    session.run(
        "pytest", *guide, "-p", "envs.sdk3.bahk_on_sdk3", f"--junitxml={reports[1]}",
        env=env, success_codes=[0, 1],
    )  # fmt: skip
    session.run("python", "envs/sdk3/breakage.py", *reports)


@nox.session(python=PYTHON)
def bench_sdk3(session: nox.Session) -> None:
    """sentry-sdk 3.0.0b2 beside 2.75.0, two processes taking turns: writes
    tests/benchmarks/results/sdk_versions.{json,md} (`-- --rounds 2 --out DIR` for a quick run)."""
    session.env["UV_COMPILE_BYTECODE"] = "1"
    install_groups(session, "tests")
    sdk3_venv = f"{session.virtualenv.location}/sdk3"  # the same versions, sentry-sdk 3.0.0b2
    session.run_install("uv", "venv", "-q", "--allow-existing", "--python", PYTHON, sdk3_venv)
    session.run_install(
        "uv", "pip", "sync", "-q", "--python", f"{sdk3_venv}/bin/python", SDK3_REQUIREMENTS
    )
    session.run(
        "python", "tests/benchmarks/sdk_versions.py", "--sdk3-python", f"{sdk3_venv}/bin/python",
        *session.posargs, env=clean_environ(),
    )  # fmt: skip


@nox.session(python=PYTHON)
def matrix(session: nox.Session) -> None:
    """The test suite on Python 3.11-3.13, Django 5.2 and 6.x, Celery 5.5 and 5.7 and the oldest
    and newest supported sentry-sdk 2.x, one combination after another (about ten minutes on
    two CPUs): writes envs/matrix/results/support.md (`-- --only NAME --merge` to re-run one row
    of the last full run; `-- --only NAME --tests ...` to run some tests on one row)."""
    session.run("python", "envs/matrix/run.py", *session.posargs)
