"""Settings for bahk, read from the environment (Heroku config vars in production)."""

# --8<-- [start:imports]
import os
import ssl

# --8<-- [end:imports]
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-local-development-key")
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "hub",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bahk.urls"
WSGI_APPLICATION = "bahk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=600
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --8<-- [start:redis]
from bahk.redis import redis_url  # noqa: E402

REDIS_URL = redis_url(os.environ)  # unset: a local Redis; empty or malformed: an error

# --8<-- [start:redis-tls]
# Heroku Key-Value Store accepts only TLS (a rediss:// REDIS_URL) and presents a self-signed
# certificate, which a client that verifies certificates rejects. So the connection is
# encrypted, but the server's identity is not checked: whoever could intercept the traffic
# between dynos and Redis could pose as the server. Heroku's own instructions do the same.
REDIS_TLS = {"ssl_cert_reqs": ssl.CERT_NONE} if REDIS_URL.startswith("rediss://") else None

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": REDIS_TLS or {},
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_USE_SSL = REDIS_TLS
# --8<-- [end:redis-tls]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# --8<-- [end:redis]

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# --8<-- [start:sentry]
# Sentry: every option comes from SENTRY_* environment variables (see bahk/sentry.py).
# Without SENTRY_DSN, Sentry stays off: nothing is sent and no connection is opened.
from bahk.sentry import init_sentry  # noqa: E402

init_sentry(os.environ)
# --8<-- [end:sentry]
