"""The Procfile's own commands, run as processes, report to Sentry over the real HTTP transport.

`release` migrates a fresh SQLite database, `worker` and `beat` run exactly as on Heroku
(`celery -A bahk worker` / `celery -A bahk beat`, Sentry initialised by Django settings alone),
with SENTRY_DSN pointing at a loopback ingest endpoint. Beat's schedule file says both entries
last ran two days ago, so real beat finds them due the moment it starts.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis
from celery import Celery

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_APP = ROOT / "example_app"
VENV_BIN = Path(sys.executable).parent
ENTRIES = ("daily-fast-notifications", "hourly-fast-map-updates")

MARK_ENTRIES_OVERDUE = """
import datetime
from celery.beat import PersistentScheduler
from bahk.celery import app

scheduler = PersistentScheduler(app, schedule_filename="celerybeat-schedule", lazy=True)
scheduler.setup_schedule()
for entry in scheduler.schedule.values():
    entry.last_run_at = app.now() - datetime.timedelta(days=2)
scheduler.sync()
scheduler.close()
"""


def procfile_commands() -> dict[str, list[str]]:
    commands = {}
    for line in (EXAMPLE_APP / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        commands[name.strip()] = shlex.split(command)
    return commands


@contextmanager
def running(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[None]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield
        finally:
            # The whole process group: the worker's pool children too.
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def dyno_redis_url(redis_url) -> str:
    """Another database of the test Redis: the in-process test worker must not take our tasks."""
    url = redis_url.rsplit("/", 1)[0] + "/1"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def dyno_environ(dyno_redis_url, sentry_endpoint, tmp_path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SENTRY_", "HEROKU_", "DJANGO_", "CELERY_"))
        and name not in ("DYNO", "REDIS_URL", "DATABASE_URL")
    }
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(EXAMPLE_APP),
        SENTRY_DSN=sentry_endpoint.dsn,
        SENTRY_ENVIRONMENT="production",
        REDIS_URL=dyno_redis_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    return env


def test_worker_and_beat_processes_send_check_ins_and_errors(
    dyno_environ, sentry_endpoint, dyno_redis_url, tmp_path
):
    commands = procfile_commands()
    release = commands["release"]
    release = [sys.executable if release[0] == "python" else release[0], *release[1:]]

    with ExitStack() as processes:
        # The worker takes longest to start, and touches the database only once tasks arrive.
        processes.enter_context(
            running(commands["worker"], dyno_environ, tmp_path, tmp_path / "worker.log")
        )
        migrate = subprocess.Popen(release, env=dyno_environ, cwd=EXAMPLE_APP)
        # The schedule file lives in the beat process's working directory, as on Heroku.
        subprocess.run(
            [sys.executable, "-c", MARK_ENTRIES_OVERDUE],
            env={**dyno_environ, "SENTRY_DSN": ""},
            cwd=tmp_path,
            check=True,
        )
        assert migrate.wait(timeout=20) == 0
        processes.enter_context(
            running(commands["beat"], dyno_environ, tmp_path, tmp_path / "beat.log")
        )
        # A message an older release queued with an argument the task no longer takes.
        sender = Celery("older-release", broker=dyno_redis_url, set_as_current=False)
        sender.send_task("hub.tasks.update_fast_maps", args=[42])

        def arrived(endpoint):
            statuses = [(c["monitor_slug"], c["status"]) for c in endpoint.items("check_in")]
            return all(
                (slug, status) in statuses for slug in ENTRIES for status in ("in_progress", "ok")
            ) and endpoint.items("event")

        try:
            sentry_endpoint.wait_for(arrived, timeout=15)
        except TimeoutError:
            logs = "\n".join(p.read_text()[-3000:] for p in tmp_path.glob("*.log"))
            raise AssertionError(f"Not everything arrived; process logs:\n{logs}") from None

    check_ins = sentry_endpoint.items("check_in")
    for slug in ENTRIES:
        started, finished = [c for c in check_ins if c["monitor_slug"] == slug][:2]
        assert (started["status"], finished["status"]) == ("in_progress", "ok")
        assert started["check_in_id"] == finished["check_in_id"]
        assert started["monitor_config"]["schedule"]["type"] == "crontab"
        assert started["environment"] == finished["environment"] == "production"
    (event,) = sentry_endpoint.items("event")
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "TypeError"
    assert exception["mechanism"] == {"type": "celery", "handled": False}
    assert event["transaction"] == "hub.tasks.update_fast_maps"
