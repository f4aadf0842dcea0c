"""hub/views/fast.py on sentry-sdk 3: attributes instead of tags and span data on spans."""

import sentry_sdk
import sentry_sdk.traces
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views import View

from hub.maps import map_cache_key, refresh_participants_map
from hub.models import Fast


# --8<-- [start:view]
class FastParticipantsMapView(View):
    """GET /api/fasts/<fast_id>/participants/map/: JSON points for the fast's map."""

    def get(self, request, fast_id):
        # --8<-- [start:tag]
        sentry_sdk.set_tag("fast_id", fast_id)  # error events
        sentry_sdk.set_attribute("fast_id", fast_id)  # spans: they carry no tags
        sentry_sdk.add_breadcrumb(
            category="map", message=f"Participants map requested for fast {fast_id}"
        )
        # --8<-- [end:tag]

        # --8<-- [start:cache]
        data = cache.get(map_cache_key(fast_id))
        if data is None:
            sentry_sdk.add_breadcrumb(category="map", message="Map cache miss: rebuilding")
            data = self.build_map(fast_id)
        else:
            sentry_sdk.add_breadcrumb(category="map", message="Map served from cache")
        # --8<-- [end:cache]

        # --8<-- [start:result]
        sentry_sdk.set_context(
            "participants_map", {"points": len(data["points"]), "participants": data["total"]}
        )
        return JsonResponse(data)
        # --8<-- [end:result]

    # --8<-- [start:build]
    def build_map(self, fast_id):
        fast = get_object_or_404(Fast, pk=fast_id)
        sentry_sdk.set_context(
            "fast",
            {
                "name": fast.name,
                "starts_on": fast.starts_on.isoformat(),
                "ends_on": fast.ends_on.isoformat(),
            },
        )
        with sentry_sdk.traces.start_span(
            name="Build participants map", attributes={"sentry.op": "map.build"}
        ) as span:
            data = refresh_participants_map(fast)
            span.set_attribute("points", len(data["points"]))
        return data

    # --8<-- [end:build]


# --8<-- [end:view]


urlpatterns = [
    path("api/fasts/<int:fast_id>/participants/map/", FastParticipantsMapView.as_view()),
]
