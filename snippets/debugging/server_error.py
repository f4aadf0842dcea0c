"""A root URLconf whose 500 page shows the Sentry event id, for users to quote to you."""

import sentry_sdk
from django.http import JsonResponse

from bahk.urls import urlpatterns


def server_error(request):
    return JsonResponse(
        {
            "error": "Something went wrong on our side. We have been told.",
            "reference": sentry_sdk.last_event_id(),
        },
        status=500,
    )


handler500 = server_error

__all__ = ["handler500", "urlpatterns"]
