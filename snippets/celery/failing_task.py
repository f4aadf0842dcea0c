"""A task that fails in the worker: the Celery integration reports it, nothing else to write."""

from celery import shared_task


class GeocodingError(Exception):
    pass


@shared_task
def geocode_participant(email: str, city: str) -> tuple[float, float]:
    raise GeocodingError("The geocoding service found no coordinates")
