"""A Celery testing worker whose module is imported before or after Sentry sets up (Testing page).

`python -m harness.early_worker_import before|after` (PYTHONPATH: example_app, tests and the
repository root; DJANGO_SETTINGS_MODULE=bahk.settings; REDIS_URL a database of its own) starts
the worker, applies a beat entry of a failing task and prints what Sentry received as JSON.
"""

from __future__ import annotations

import json
import sys


def main(order: str) -> dict[str, list[str]]:
    if order == "before":
        import celery.contrib.testing.worker  # noqa: F401 before the Celery integration is set up

    import django
    from celery.schedules import crontab

    django.setup()  # no SENTRY_DSN in the environment: the settings leave Sentry off

    from bahk.celery import app
    from bahk.sentry import init_sentry
    from harness.beat import apply_beat_entries
    from harness.environ import TEST_DSN
    from sentry_recorder import RecordingTransport
    from snippets.celery.failing_task import geocode_participant

    recorder = RecordingTransport()
    init_sentry({"SENTRY_DSN": TEST_DSN}, transport=recorder, traces_sample_rate=1.0)
    from celery.contrib.testing.worker import start_worker

    app.conf.beat_schedule = {
        "geocode": {
            "task": geocode_participant.name,
            "schedule": crontab(minute=0),
            "args": ("amina@example.org", "Timbuktu"),
        }
    }
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="CRITICAL"):
        apply_beat_entries(app, "geocode")
        recorder.wait_for(lambda r: len(r.check_ins()) == 2)
    # The worker has stopped: whatever the task was going to send has been sent.
    return {
        "events": [e["exception"]["values"][-1]["type"] for e in recorder.events()],
        "transactions": [t["transaction"] for t in recorder.transactions()],
        "check_ins": [c["status"] for c in recorder.check_ins()],
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
