"""An exception that escapes a view: Django answers 500, and Sentry receives it by itself."""

from django.http import JsonResponse
from django.urls import path

from hub.models import Fast


def fast_detail(request, fast_id):
    fast = Fast.objects.get(pk=fast_id)  # raises Fast.DoesNotExist for an unknown id
    return JsonResponse({"id": fast.id, "name": fast.name})


urlpatterns = [
    path("fasts/<int:fast_id>/", fast_detail),
]
