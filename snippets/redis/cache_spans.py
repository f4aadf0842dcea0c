"""cache.get and cache.put spans, with hit or miss, for Django's cache API."""

from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration


def sentry_integrations() -> list:
    return [
        DjangoIntegration(cache_spans=True),
        CeleryIntegration(monitor_beat_tasks=True),
        RedisIntegration(),
    ]
