"""Example data for the example app's models."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from hub.models import Fast, Participant

City = tuple[str, float, float]  # name, latitude, longitude


def create_fast(
    fast_id: int | None,
    participants_in: Iterable[City],
    *,
    name: str = "Ramadan 2026",
    starts_on: datetime.date = datetime.date(2026, 2, 18),
    ends_on: datetime.date = datetime.date(2026, 3, 19),
) -> Fast:
    """A fast with one participant per city given (a city may repeat).

    The id is fixed by the caller where a recorded payload shows it (it is part of the map's
    cache key); None lets the database choose.
    """
    fast = Fast.objects.create(id=fast_id, name=name, starts_on=starts_on, ends_on=ends_on)
    Participant.objects.bulk_create(
        Participant(
            fast=fast,
            display_name=f"Participant {number}",
            email=f"participant{number}@example.org",
            city=city,
            latitude=latitude,
            longitude=longitude,
        )
        for number, (city, latitude, longitude) in enumerate(participants_in)
    )
    return fast
