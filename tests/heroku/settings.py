"""bahk's settings, plus the Celery page's view that hands work to a task.

`snippets/celery/enqueue_from_view.py` is the view whose trace continues in the worker; the
web dyno serves it beside bahk's own URLs and the worker imports its task.
"""

from bahk.settings import *  # noqa: F403

ROOT_URLCONF = "heroku.urls"
CELERY_IMPORTS = ["snippets.celery.enqueue_from_view"]
