"""A middleware that fails: every request through it answers 500, and Sentry receives it."""

from zoneinfo import ZoneInfo

from django.utils import timezone


class VisitorTimezoneMiddleware:
    """Show dates in the visitor's time zone, sent by the browser in X-Timezone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # ZoneInfo raises ZoneInfoNotFoundError for a name it does not know.
        timezone.activate(ZoneInfo(request.headers.get("X-Timezone", "UTC")))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
