"""The example app run the way Heroku runs it, on loopback.

    with HerokuApp(tmp_path, config_vars) as heroku:
        heroku.run({"release.1": heroku.commands["release"]})   # the release phase
        heroku.start(web="web.1", worker="worker.1", beat="beat.1")
        heroku.router.request("GET", "/health/")

`config_vars` are the app's own (what `heroku config` lists). HerokuApp adds what the platform
and Heroku's Python buildpack set: `DYNO` per dyno, `PORT`, `FORWARDED_ALLOW_IPS=*` (gunicorn
trusts the router's X-Forwarded-* headers) and `GUNICORN_CMD_ARGS` (access log; here also a
loopback address where Heroku binds 0.0.0.0). Processes run from a directory that stands for
the dyno's /app (the Procfile and manage.py); the packages are the repository's own.

An exception raised inside the `with` block carries the output of every process as a note.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from honcho.environ import parse_procfile

from harness.ports import free_port
from heroku.router import HerokuRouter

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_APP = ROOT / "example_app"
TESTS = ROOT / "tests"
VENV_BIN = Path(sys.executable).parent
STARTED = re.compile(r"\| (?P<dyno>\S+) started \(pid=(?P<pid>\d+)\)")


def procfile_commands() -> dict[str, str]:
    """The example app's process types and their commands, as honcho reads the Procfile.

    Each is a shell command line, as Heroku runs it (`release: ... && ...`).
    """
    return dict(parse_procfile((EXAMPLE_APP / "Procfile").read_text()).processes)


class HerokuApp:
    def __init__(self, workdir: Path, config_vars: Mapping[str, str]) -> None:
        self.workdir = workdir
        self.root = workdir / "app"
        self.root.mkdir()
        for name in ("Procfile", "manage.py"):
            (self.root / name).symlink_to(EXAMPLE_APP / name)
        self.commands = procfile_commands()
        web_port = free_port()
        self.environ = {
            "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "PYTHONPATH": os.pathsep.join(str(path) for path in (EXAMPLE_APP, TESTS, ROOT)),
            "PYTHONUNBUFFERED": "1",
            "PORT": str(web_port),
            "FORWARDED_ALLOW_IPS": "*",
            "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{web_port} --access-logfile -",
            **config_vars,
        }
        self.router = HerokuRouter(web_port)
        self._dynos: subprocess.Popen | None = None

    def __enter__(self) -> HerokuApp:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.stop()
        if exc is not None:
            exc.add_note(f"Output of the app's processes:\n{self.logs()}")

    @property
    def dyno_output(self) -> str:
        """Everything the dynos printed so far, each line prefixed with its dyno's name."""
        path = self.workdir / "dynos.log"
        return path.read_text() if path.exists() else ""

    def logs(self, tail: int = 6000) -> str:
        return "\n".join(
            f"--- {path.name} ---\n{path.read_text()[-tail:]}"
            for path in sorted(self.workdir.glob("*.log"))
        )

    def run(self, one_off_dynos: Mapping[str, str], timeout: float = 60) -> None:
        """Run one-off dynos side by side (DYNO name: command); fail if any fails."""
        running = {}
        for dyno, command in one_off_dynos.items():
            with (self.workdir / f"{dyno}.log").open("wb") as log:
                running[dyno] = subprocess.Popen(
                    command,
                    shell=True,
                    cwd=self.root,
                    env={**self.environ, "DYNO": dyno},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        failed = []
        for dyno, process in running.items():
            try:
                if process.wait(timeout) != 0:
                    failed.append(dyno)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                failed.append(f"{dyno} (timed out)")
        assert not failed, f"One-off dynos failed: {failed}"

    def start(self, **dynos: str) -> None:
        """Start the Procfile's process types as dynos (type="dyno name"); wait for web."""
        with (self.workdir / "dynos.log").open("wb") as log:
            self._dynos = subprocess.Popen(
                [sys.executable, "-m", "heroku.dynos"]
                + [f"{process_type}={dyno}" for process_type, dyno in dynos.items()],
                cwd=self.root,
                env=self.environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if "web" in dynos:
            self.router.__enter__()
            self.wait_until(lambda: self.router.request("GET", "/health/").status == 200, "web")

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self._dynos is not None and self._dynos.poll() is not None:
                raise RuntimeError(f"The dynos stopped while waiting for {what}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"No {what} after {timeout} s")
            time.sleep(0.1)

    def wait_for_output(self, pattern: str, timeout: float = 5) -> None:
        """Wait until a line the dynos printed matches `pattern` (after its dyno's prefix)."""
        line = re.compile(rf"^\S+ {pattern}", re.MULTILINE)
        self.wait_until(
            lambda: line.search(self.dyno_output), f"line matching {pattern!r}", timeout
        )

    def stop(self) -> None:
        """SIGTERM to the dynos, as at a restart; SIGKILL to every process group if stuck."""
        if self._dynos is not None:
            os.killpg(self._dynos.pid, signal.SIGTERM)
            try:
                self._dynos.wait(timeout=15)
            except subprocess.TimeoutExpired:
                for match in STARTED.finditer(self.dyno_output):
                    _kill_group(int(match["pid"]))
                _kill_group(self._dynos.pid)
                self._dynos.wait()
            self._dynos = None
        self.router.__exit__(None, None, None)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
