"""cosmic-ray's test command, run in a forked child instead of a new process.

cosmic-ray starts `python -m pytest ...` afresh for each mutant, and half of that process's
time goes into importing pytest, Django, Celery, redis and the Sentry SDK. Here each worker
imports those libraries once (`preload`) and forks a child per mutant that runs the same
command. Nothing of the project is imported before the fork: the child imports bahk, hub, the
snippets and the tests fresh from disk, the mutated module among them, as a new process does,
and nothing is initialised (no Django settings, no Sentry client).
"""

import contextlib
import importlib
import os
import shlex
import signal
import sys
import tempfile
import time
import traceback

import pytest
import sentry_sdk.integrations
from cosmic_ray.work_item import TestOutcome

PYTEST = [sys.executable, "-m", "pytest"]

# pytest's plugins are named, not found through their entry points. An entry point marks its
# whole distribution for assertion rewriting, and without bytecode files (cosmic-ray's
# PYTHONDONTWRITEBYTECODE, so that no stale .pyc of a mutated module is loaded) each child
# rewrote hypothesis's hundred modules from source: 0.7 of the 1.2 s a one-test mutant took.
# Its pytest plugin only adds options and reports; the @given tests run without it.
PLUGINS = ["--disable-plugin-autoload", "-p", "pytest_django.plugin", "-p", "pytest_timeout"]

# Libraries only. Not the plugins above (pytest must import them itself to rewrite their
# asserts) and not celery.contrib.testing.worker, which must be imported after sentry_sdk.init.
PRELOAD = ["pytest", "django", "django.test", "django.core.wsgi", "celery", "kombu", "redis"]
PRELOAD += ["hypothesis"]  # a library to the tests here: its pytest plugin is not loaded

# cosmic-ray's own dependencies, absent from the tests' venv, that the SDK would instrument
# (a test lists the integrations the SDK enables): the tests do not see them.
HIDDEN = ("aiohttp", "sqlalchemy")


def preload() -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    # sentry_sdk.init imports every integration module to see which libraries are present.
    for path in sentry_sdk.integrations._AUTO_ENABLING_INTEGRATIONS:
        module = path.rpartition(".")[0]
        if module.rpartition(".")[2] not in HIDDEN:
            with contextlib.suppress(Exception):
                importlib.import_module(module)


def _hide(names) -> None:
    for name in [n for n in sys.modules if n.partition(".")[0] in names]:
        del sys.modules[name]
    for name in names:
        sys.modules[name] = None  # `import aiohttp` raises ImportError, as in the tests' venv


def _child(args: list[str], output: int) -> None:
    code = 3
    try:
        os.setsid()  # its own process group, killed whole on a timeout
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"  # as cosmic-ray's run_tests sets it
        sys.dont_write_bytecode = True
        sys.path[0] = os.getcwd()  # as `python -m pytest` run in this copy of the tree
        _hide(HIDDEN)
        for name in [n for n in sys.modules if n == "tests" or n.startswith("tests.")]:
            del sys.modules[name]  # this driver's package, imported from the real tree
        import pytest

        sys.argv = [os.path.join(os.path.dirname(pytest.__file__), "__main__.py"), *args]
        code = int(pytest.main(args))
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def run_tests(command: str, timeout: float) -> tuple[TestOutcome, str]:
    """cosmic_ray.testing.run_tests for a `python -m pytest ...` command: KILLED when the tests
    fail or time out, SURVIVED when they pass."""
    argv = shlex.split(command)
    if argv[: len(PYTEST)] != PYTEST:
        raise ValueError(f"not a `python -m pytest` command: {command}")
    with tempfile.TemporaryFile() as output:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(argv[len(PYTEST) :], output.fileno())
        deadline = time.monotonic() + timeout
        while not (done := os.waitpid(pid, os.WNOHANG))[0]:
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return TestOutcome.KILLED, "timeout"
            time.sleep(0.05)
        output.seek(0)
        text = output.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(done[1])
    if code == pytest.ExitCode.USAGE_ERROR and "ERROR: not found: " in text:
        # A test named on the command line is gone: that is not a mutant killed.
        raise LookupError(text[text.index("ERROR: not found: ") :].splitlines()[0])
    return (TestOutcome.SURVIVED if code == 0 else TestOutcome.KILLED), text
