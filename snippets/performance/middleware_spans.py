"""bahk/sentry.py's integrations, with a span for every middleware and the view's render."""

from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration

INTEGRATIONS = [
    DjangoIntegration(middleware_spans=True),
    CeleryIntegration(monitor_beat_tasks=True),
    RedisIntegration(),
]
