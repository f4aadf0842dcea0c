"""Raw redis-py used as a cache: cache_prefixes marks which keys are cache keys."""

import redis
from django.conf import settings
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration

INTEGRATIONS = [
    DjangoIntegration(),
    CeleryIntegration(monitor_beat_tasks=True),
    RedisIntegration(cache_prefixes=["online:"]),
]


def online_participants(fast_id: int) -> int:
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    count = client.get(f"online:{fast_id}")
    if count is None:
        count = 0
        client.set(f"online:{fast_id}", count, ex=30)
    return int(count)
