"""Monitor every beat entry except some: exclude_beat_tasks takes regular expressions."""

from celery import shared_task
from celery.schedules import crontab
from django.core.management import call_command
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration

INTEGRATIONS = [
    DjangoIntegration(),
    CeleryIntegration(
        monitor_beat_tasks=True,
        exclude_beat_tasks=["hourly-fast-map-updates", "cleanup-.*"],
    ),
    RedisIntegration(),
]


@shared_task
def clear_expired_sessions() -> None:
    call_command("clearsessions")


# Merged into app.conf.beat_schedule, next to the app's own entries.
BEAT_SCHEDULE = {
    "cleanup-expired-sessions": {
        "task": "snippets.crons.exclude_beat_tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=30),
    },
}
