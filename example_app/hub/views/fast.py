import sentry_sdk
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views import View

from hub.maps import map_cache_key, refresh_participants_map
from hub.models import Fast


# --8<-- [start:view]
class FastParticipantsMapView(View):
    """GET /api/fasts/<fast_id>/participants/map/: JSON points for the fast's map."""

    def get(self, request, fast_id):
        sentry_sdk.set_tag("fast_id", fast_id)
        sentry_sdk.add_breadcrumb(
            category="map", message=f"Participants map requested for fast {fast_id}"
        )

        data = cache.get(map_cache_key(fast_id))
        if data is None:
            sentry_sdk.add_breadcrumb(category="map", message="Map cache miss: rebuilding")
            fast = get_object_or_404(Fast, pk=fast_id)
            with sentry_sdk.start_span(op="map.build", name="Build participants map") as span:
                data = refresh_participants_map(fast)
                span.set_data("points", len(data["points"]))

        sentry_sdk.set_context("participants_map", {"points": len(data["points"])})
        return JsonResponse(data)


# --8<-- [end:view]
