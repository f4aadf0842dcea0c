"""Beat without its clock: apply entries the way `celery beat` does when they are due.

`python -m harness.beat ENTRY...` (run in example_app/) does it in a process of its own, as a
separately started beat would: bahk's settings load there, so its Sentry setup runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from celery import Celery
from celery.beat import Scheduler

from harness.environ import clean_environ

EXAMPLE_APP = Path(__file__).resolve().parents[2] / "example_app"
TESTS = Path(__file__).resolve().parents[1]


def beat_scheduler(app: Celery) -> Scheduler:
    """The scheduler `celery beat` builds for `app`, with the app's beat_schedule loaded."""
    scheduler = Scheduler(app, lazy=True)
    scheduler.setup_schedule()
    return scheduler


def apply_beat_entries(app: Celery, *names: str, queue: str | None = None) -> None:
    """Send the tasks of these entries (and their in_progress check-ins) as one beat process.

    `queue`: send them to a queue no worker consumes, when only beat's side matters.
    """
    scheduler = beat_scheduler(app)
    for name in names:
        entry = scheduler.schedule[name]
        if queue is not None:
            entry.options["queue"] = queue
        scheduler.apply_entry(entry, producer=None)


def run_beat_entries_in_a_process(environ: dict[str, str], *names: str) -> None:
    """Apply beat entries in a separate Python process, as a separately started beat would.

    `environ` adds to a copy of this process's environment without the developer's settings.
    """
    pythonpath = os.pathsep.join((str(EXAMPLE_APP), str(TESTS)))
    subprocess.run(
        [sys.executable, "-m", "harness.beat", *names],
        env=clean_environ(PYTHONPATH=pythonpath, **environ),
        cwd=EXAMPLE_APP,
        check=True,
        capture_output=True,
        timeout=30,
    )


def main(names: list[str]) -> None:
    import sentry_sdk

    from bahk.celery import app

    app.loader.init_worker()  # what `celery beat` does first: Django settings load here
    apply_beat_entries(app, *names)
    sentry_sdk.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
