"""Report an error, then let it escape anyway: Sentry receives one event, not two."""

import sentry_sdk
from django.http import JsonResponse
from django.urls import path

from hub.models import Fast


def fast_detail(request, fast_id):
    try:
        fast = Fast.objects.get(pk=fast_id)
    except Fast.DoesNotExist as exc:
        sentry_sdk.capture_exception(exc)
        raise  # Django answers 500; the SDK drops its own second report of `exc`
    return JsonResponse({"id": fast.id, "name": fast.name})


urlpatterns = [
    path("fasts/<int:fast_id>/", fast_detail),
]
