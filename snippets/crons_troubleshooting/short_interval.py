"""Beat entries whose interval is not in whole minutes: Sentry Crons cannot monitor them."""

from celery import shared_task
from celery.schedules import schedule


@shared_task
def count_online_participants() -> None:
    pass


@shared_task
def expire_idle_connections() -> None:
    pass


# --8<-- [start:schedule]
BEAT_SCHEDULE = {
    "online-participants-count": {
        "task": "snippets.crons_troubleshooting.short_interval.count_online_participants",
        "schedule": schedule(run_every=30),  # seconds
    },
    "idle-connections-expiry": {
        "task": "snippets.crons_troubleshooting.short_interval.expire_idle_connections",
        "schedule": schedule(run_every=90),
    },
}
# --8<-- [end:schedule]
