"""bahk/sentry.py's integrations, with a cache.get (hit or miss) or cache.put span per call."""

from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration

INTEGRATIONS = [
    DjangoIntegration(cache_spans=True),
    CeleryIntegration(monitor_beat_tasks=True),
    RedisIntegration(),
]
