"""Settings for running tasks inline, without a worker (tests, local scripts)."""

CELERY_TASK_ALWAYS_EAGER = True
# Let a failing task raise in the caller, as a worker would report it.
CELERY_TASK_EAGER_PROPAGATES = True
