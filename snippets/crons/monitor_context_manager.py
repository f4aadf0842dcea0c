"""Monitor part of a function, or a script run by Heroku Scheduler, with a context manager."""

import sentry_sdk
from django.db.models import Count

from hub.models import Fast


def delete_empty_fasts() -> int:
    with sentry_sdk.monitor(monitor_slug="empty-fasts-cleanup"):
        empty = Fast.objects.annotate(size=Count("participants")).filter(size=0)
        deleted, _ = empty.delete()
    return deleted
