"""Monitor every beat entry except some: exclude_beat_tasks takes regular expressions."""

from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration


def sentry_integrations() -> list:
    return [
        DjangoIntegration(),
        CeleryIntegration(
            monitor_beat_tasks=True,
            exclude_beat_tasks=["hourly-fast-map-updates", "^cleanup-"],
        ),
        RedisIntegration(),
    ]
