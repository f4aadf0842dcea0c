"""Trace some tasks more than others: a traces_sampler keyed on the task name."""

TASK_SAMPLE_RATES = {
    # Runs once a day: keep every trace.
    "hub.tasks.send_daily_fast_notifications": 1.0,
    # Runs every hour and its cron check-ins already say how it went.
    "hub.tasks.update_fast_maps": 0.0,
}
DEFAULT_SAMPLE_RATE = 0.1


def traces_sampler(sampling_context: dict) -> float:
    task_name = sampling_context.get("celery_job", {}).get("task")
    if task_name in TASK_SAMPLE_RATES:
        return TASK_SAMPLE_RATES[task_name]
    # Anything else follows the caller's decision, so a trace is kept or dropped whole.
    if sampling_context.get("parent_sampled") is not None:
        return float(sampling_context["parent_sampled"])
    return DEFAULT_SAMPLE_RATE
