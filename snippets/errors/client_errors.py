"""Client errors: a 404 or a 403 is an answer, not a bug, and Sentry receives no event."""

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from hub.models import Fast


def fast_detail(request, fast_id):
    fast = get_object_or_404(Fast, pk=fast_id)  # Http404 for an unknown id
    return JsonResponse({"id": fast.id, "name": fast.name})


def fast_participants_export(request, fast_id):
    if not request.user.is_staff:
        raise PermissionDenied  # 403
    return JsonResponse({"participants": []})


urlpatterns = [
    path("fasts/<int:fast_id>/", fast_detail),
    path("fasts/<int:fast_id>/participants/export/", fast_participants_export),
]
