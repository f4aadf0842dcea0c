"""`python -m heroku.overdue_beat`: make every beat entry due the moment beat starts.

Writes `celerybeat-schedule` in the working directory (where `celery -A bahk beat` keeps it)
saying that each entry last ran two days ago, so the real beat process sends them all at once
instead of at 07:00 or on the hour.
"""

import datetime

from celery.beat import PersistentScheduler

from bahk.celery import app


def main() -> None:
    scheduler = PersistentScheduler(app, schedule_filename="celerybeat-schedule", lazy=True)
    scheduler.setup_schedule()
    for entry in scheduler.schedule.values():
        entry.last_run_at = app.now() - datetime.timedelta(days=2)
    scheduler.sync()
    scheduler.close()


if __name__ == "__main__":
    main()
