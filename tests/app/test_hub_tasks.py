"""hub's beat tasks, called as beat's entries call them (the Celery page shows them running)."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from harness.factories import create_fast
from hub.maps import map_cache_key
from hub.tasks import send_daily_fast_notifications, update_fast_maps

DAY = datetime.timedelta(days=1)


@pytest.fixture
def fasts(db):
    """A fast going on today (two participants), one that starts tomorrow, one that ended."""
    today = timezone.localdate()
    cities = [("Dakar", 14.7167, -17.4677), ("Paris", 48.85, 2.35)]
    return {
        "today": create_fast(None, cities, starts_on=today - DAY, ends_on=today),
        "tomorrow": create_fast(None, cities[:1], starts_on=today + DAY, ends_on=today + 9 * DAY),
        "ended": create_fast(None, cities[:1], starts_on=today - 9 * DAY, ends_on=today - DAY),
    }


def test_the_daily_notifications_remind_each_participant_of_todays_fasts(fasts, caplog):
    caplog.set_level("INFO", logger="hub.tasks")

    assert send_daily_fast_notifications() == 2

    fast = fasts["today"]
    assert [r.getMessage() for r in caplog.records if r.name == "hub.tasks"] == [
        f"Reminder for fast {fast.id} queued for participant {participant.id}"
        for participant in fast.participants.all()
    ]


def test_the_hourly_update_rebuilds_the_maps_of_todays_fasts_only(fasts, redis_url):
    assert update_fast_maps() == 1

    assert cache.get(map_cache_key(fasts["today"].id))["total"] == 2
    assert cache.get(map_cache_key(fasts["tomorrow"].id)) is None
