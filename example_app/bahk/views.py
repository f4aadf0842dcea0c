def sentry_debug(request):
    """Raise on purpose: open /sentry-debug/ once to see an error reach Sentry."""
    division_by_zero = 1 / 0  # noqa: F841
