"""Two scheduled tasks that go wrong: one raises, one retries."""

from celery import shared_task
from celery.schedules import crontab


class ReportServiceDown(Exception):
    pass


@shared_task
def export_weekly_report() -> None:
    raise ReportServiceDown("reports.example.invalid did not answer")


@shared_task(bind=True, max_retries=1, default_retry_delay=0)
def sync_calendar(self) -> None:
    try:
        raise ReportServiceDown("calendar.example.invalid did not answer")
    except ReportServiceDown as exc:
        raise self.retry(exc=exc) from exc


# --8<-- [start:schedule]
# Merged into app.conf.beat_schedule, next to the app's own entries.
BEAT_SCHEDULE = {
    "weekly-report-export": {
        "task": "snippets.crons.failing_beat_tasks.export_weekly_report",
        "schedule": crontab(day_of_week="mon", hour=6, minute=30),
    },
    "calendar-sync": {
        "task": "snippets.crons.failing_beat_tasks.sync_calendar",
        "schedule": crontab(minute="*/15"),
    },
}
# --8<-- [end:schedule]
