"""A view that hands slow work to Celery: the task continues the request's trace."""

import logging

from celery import shared_task
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger(__name__)


@shared_task
def send_welcome_email(fast_id: int, email: str) -> None:
    logger.info("Welcome email for fast %s sent", fast_id)


# An API endpoint called by the mobile app with a token, not by a browser form.
@csrf_exempt
@require_POST
def join_fast(request, fast_id):
    send_welcome_email.delay(fast_id, request.POST["email"])
    return JsonResponse({"queued": True}, status=202)


urlpatterns = [
    path("api/fasts/<int:fast_id>/join/", join_fast),
]
