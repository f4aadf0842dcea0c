"""Name the user a Celery task works for: the worker has no request to take it from."""

import sentry_sdk
from celery import shared_task


class ExportStorageError(Exception):
    pass


def upload_export(fast_id: int) -> None:
    raise ExportStorageError(f"Export storage refused the file for fast {fast_id}")


@shared_task
def export_participants(fast_id: int, requested_by_id: int | None = None) -> None:
    sentry_sdk.set_tag("fast_id", fast_id)
    if requested_by_id is not None:  # queued from the site; beat queues it with no user
        sentry_sdk.set_user({"id": str(requested_by_id)})
    upload_export(fast_id)
