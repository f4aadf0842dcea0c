"""The participants map: one point per city, built from the database and cached in Redis."""

from django.core.cache import cache
from django.db.models import Avg, Count

from hub.models import Fast

# --8<-- [start:cache-key]
MAP_CACHE_SECONDS = 60 * 60


def map_cache_key(fast_id: int) -> str:
    return f"fast:{fast_id}:participants-map"


# --8<-- [end:cache-key]


# --8<-- [start:build]
def build_participants_map(fast: Fast) -> dict:
    """Group participants by city; never expose a participant's name or email."""
    cities = (
        fast.participants.values("city")
        .annotate(count=Count("id"), lat=Avg("latitude"), lng=Avg("longitude"))
        .order_by("city")
    )
    return {
        "fast": {"id": fast.id, "name": fast.name},
        "total": sum(city["count"] for city in cities),
        "points": [
            {
                "city": city["city"],
                "count": city["count"],
                "lat": round(float(city["lat"]), 2),
                "lng": round(float(city["lng"]), 2),
            }
            for city in cities
        ],
    }


def refresh_participants_map(fast: Fast) -> dict:
    data = build_participants_map(fast)
    cache.set(map_cache_key(fast.id), data, MAP_CACHE_SECONDS)
    return data


# --8<-- [end:build]
