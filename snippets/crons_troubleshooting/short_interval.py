"""A beat entry that runs more often than once a minute: Sentry Crons cannot monitor it."""

from celery import shared_task
from celery.schedules import schedule


@shared_task
def count_online_participants() -> None:
    pass


# --8<-- [start:schedule]
BEAT_SCHEDULE = {
    "online-participants-count": {
        "task": "snippets.crons_troubleshooting.short_interval.count_online_participants",
        "schedule": schedule(run_every=30),  # seconds
    },
}
# --8<-- [end:schedule]
