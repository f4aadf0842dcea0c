"""The timezone beat reads crontab entries in, and the one monitor_config carries."""

# In bahk/settings.py: "0 7 * * *" now means 07:00 in Paris, and Sentry is told so.
CELERY_TIMEZONE = "Europe/Paris"
