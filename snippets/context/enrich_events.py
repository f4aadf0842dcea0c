"""Tags, context and breadcrumbs: what was going on when the error happened."""

import sentry_sdk


class GeocodingError(Exception):
    pass


def geocode(city: str) -> tuple[float, float]:
    raise GeocodingError(f"No coordinates found for {city!r}")


def place_participant(fast_id: int, city: str, signup_source: str) -> tuple[float, float] | None:
    # Tags: short values you search and filter by.
    sentry_sdk.set_tag("fast_id", fast_id)
    sentry_sdk.set_tags({"signup_source": signup_source, "map_layer": "cities"})
    # Context: structured details shown on the event, not searchable.
    sentry_sdk.set_context("signup", {"fast_id": fast_id, "city": city})
    # Breadcrumbs: the steps that led to the error, oldest first.
    sentry_sdk.add_breadcrumb(
        category="map",
        message="Geocoding the participant's city",
        level="info",
        data={"city": city},
    )
    try:
        return geocode(city)
    except GeocodingError:
        sentry_sdk.capture_exception()
        return None
