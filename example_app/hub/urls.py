from django.urls import path

from hub.views.fast import FastParticipantsMapView

urlpatterns = [
    path(
        "fasts/<int:fast_id>/participants/map/",
        FastParticipantsMapView.as_view(),
        name="fast-participants-map",
    ),
]
