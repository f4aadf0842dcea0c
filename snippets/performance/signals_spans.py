"""bahk/sentry.py's integrations, without a span for each of Django's signal receivers."""

from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration

INTEGRATIONS = [
    DjangoIntegration(signals_spans=False),
    CeleryIntegration(monitor_beat_tasks=True),
    RedisIntegration(),
]
