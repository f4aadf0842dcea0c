"""Choose a sample rate per request route or Celery task instead of one rate for everything."""

import sentry_sdk

# Uptime checks hit this every minute: thousands of identical transactions a day.
HEALTH_CHECK_PATHS = {"/health/"}
# Staff pages: not worth the quota.
UNTRACED_PATH_PREFIXES = ("/admin/",)
# Rare and slow: trace every run, whatever the environment's rate.
ALWAYS_TRACED_TASKS = {"hub.tasks.update_fast_maps"}


def traces_sampler(sampling_context: dict) -> float:
    environ = sampling_context.get("wsgi_environ")  # set for web requests
    if environ is not None:
        path = environ.get("PATH_INFO", "")
        if path in HEALTH_CHECK_PATHS or path.startswith(UNTRACED_PATH_PREFIXES):
            return 0.0

    celery_job = sampling_context.get("celery_job")  # set for Celery tasks
    if celery_job is not None and celery_job["task"] in ALWAYS_TRACED_TASKS:
        return 1.0

    # A task enqueued by a traced request follows that request's decision: whole traces.
    if sampling_context["parent_sampled"] is not None:
        return float(sampling_context["parent_sampled"])

    # Everything else: the environment's rate (SENTRY_TRACES_SAMPLE_RATE).
    return sentry_sdk.get_client().options["traces_sample_rate"] or 0.0
