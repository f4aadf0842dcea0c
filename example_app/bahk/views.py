from django.http import HttpResponse


def sentry_debug(request):
    """Raise on purpose: open /sentry-debug/ once to see an error reach Sentry."""
    division_by_zero = 1 / 0  # noqa: F841


def health(request):
    """For uptime monitors: 200 while the web dyno answers."""
    return HttpResponse("ok", content_type="text/plain")
