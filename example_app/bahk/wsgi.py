"""WSGI entry point: `gunicorn bahk.wsgi` in the Procfile."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")

application = get_wsgi_application()
