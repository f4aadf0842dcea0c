import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")

app = Celery("bahk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# --8<-- [start:beat-schedule]
app.conf.beat_schedule = {
    "daily-fast-notifications": {
        "task": "hub.tasks.send_daily_fast_notifications",
        "schedule": crontab(hour=7, minute=0),
    },
    "hourly-fast-map-updates": {
        "task": "hub.tasks.update_fast_maps",
        "schedule": crontab(minute=0),
    },
}
# --8<-- [end:beat-schedule]
