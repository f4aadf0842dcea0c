import datetime
import logging

from celery import shared_task
from django.utils import timezone

from hub.maps import refresh_participants_map
from hub.models import Fast

logger = logging.getLogger(__name__)


def active_fasts(today: datetime.date):
    return Fast.objects.filter(starts_on__lte=today, ends_on__gte=today)


@shared_task
def send_daily_fast_notifications() -> int:
    """Beat entry daily-fast-notifications: remind participants of today's fasts."""
    today = timezone.localdate()
    notified = 0
    for fast in active_fasts(today):
        for participant in fast.participants.all():
            logger.info("Reminder for fast %s queued for participant %s", fast.id, participant.id)
            notified += 1
    return notified


@shared_task
def update_fast_maps() -> int:
    """Beat entry hourly-fast-map-updates: rebuild the cached map of every active fast."""
    fasts = list(active_fasts(timezone.localdate()))
    for fast in fasts:
        refresh_participants_map(fast)
    return len(fasts)
