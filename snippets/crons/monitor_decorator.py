"""A job beat does not schedule (or any function): monitor it with a decorator."""

import sentry_sdk
from celery import shared_task

from hub.models import Fast

WEEKLY_REPORT_MONITOR = {
    "schedule": {"type": "crontab", "value": "0 8 * * 1"},
    "checkin_margin": 10,  # minutes late before the check-in counts as missed
    "max_runtime": 15,  # minutes in progress before Sentry labels the run "Timed out"
    "timezone": "Europe/Paris",
    "failure_issue_threshold": 2,  # open an issue after 2 failed runs in a row...
    "recovery_threshold": 3,  # ...and resolve it after 3 good ones
}


@shared_task
@sentry_sdk.monitor(monitor_slug="weekly-fast-report", monitor_config=WEEKLY_REPORT_MONITOR)
def send_weekly_fast_report(fast_id: int) -> int:
    fast = Fast.objects.get(pk=fast_id)
    return fast.participants.count()
