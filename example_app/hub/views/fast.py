import logging

import sentry_sdk
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views import View
from redis.exceptions import RedisError

from hub.maps import MAP_CACHE_SECONDS, build_participants_map, map_cache_key
from hub.models import Fast

logger = logging.getLogger(__name__)


# --8<-- [start:view]
class FastParticipantsMapView(View):
    """GET /api/fasts/<fast_id>/participants/map/: JSON points for the fast's map."""

    def get(self, request, fast_id):
        # --8<-- [start:tag]
        sentry_sdk.set_tag("fast_id", fast_id)
        sentry_sdk.add_breadcrumb(
            category="map", message=f"Participants map requested for fast {fast_id}"
        )
        # --8<-- [end:tag]

        # --8<-- [start:lookup]
        # Before the cache: an unknown fast is a 404, whether Redis answers or not.
        fast = get_object_or_404(Fast, pk=fast_id)
        sentry_sdk.set_context(
            "fast",
            {
                "name": fast.name,
                "starts_on": fast.starts_on.isoformat(),
                "ends_on": fast.ends_on.isoformat(),
            },
        )
        # --8<-- [end:lookup]

        # --8<-- [start:outage]
        try:
            data = self.cached_map(fast)
        except RedisError:
            # Redis is down: the map still comes from the database, only slower.
            sentry_sdk.set_tag("map_cache", "unavailable")
            logger.error("Map cache unavailable, map built from the database", exc_info=True)
            data = self.build_map(fast)
        # --8<-- [end:outage]

        # --8<-- [start:result]
        sentry_sdk.set_context(
            "participants_map", {"points": len(data["points"]), "participants": data["total"]}
        )
        return JsonResponse(data)
        # --8<-- [end:result]

    # --8<-- [start:cache]
    def cached_map(self, fast):
        key = map_cache_key(fast.id)
        data = cache.get(key)
        if data is None:
            sentry_sdk.add_breadcrumb(category="map", message="Map cache miss: rebuilding")
            data = self.build_map(fast)
            cache.set(key, data, MAP_CACHE_SECONDS)
        else:
            sentry_sdk.add_breadcrumb(category="map", message="Map served from cache")
        return data

    # --8<-- [end:cache]

    # --8<-- [start:build]
    def build_map(self, fast):
        with sentry_sdk.start_span(op="map.build", name="Build participants map") as span:
            data = build_participants_map(fast)
            span.set_data("points", len(data["points"]))
        return data

    # --8<-- [end:build]


# --8<-- [end:view]
