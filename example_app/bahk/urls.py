from django.contrib import admin
from django.urls import include, path

from bahk.views import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("hub.urls")),
    path("health/", health, name="health"),
]

# --8<-- [start:sentry-debug]
# Open /sentry-debug/ once to see an error reach Sentry.
from bahk.views import sentry_debug  # noqa: E402

urlpatterns += [path("sentry-debug/", sentry_debug, name="sentry-debug")]
# --8<-- [end:sentry-debug]
