"""bahk's URLs and the Celery page's POST /api/fasts/<fast_id>/join/."""

from bahk.urls import urlpatterns as bahk_urlpatterns
from snippets.celery.enqueue_from_view import urlpatterns as join_urlpatterns

urlpatterns = bahk_urlpatterns + join_urlpatterns
