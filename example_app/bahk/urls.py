from django.contrib import admin
from django.urls import include, path

from bahk.views import health, sentry_debug

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("hub.urls")),
    path("sentry-debug/", sentry_debug, name="sentry-debug"),
    path("health/", health, name="health"),
]
