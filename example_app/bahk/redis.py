"""REDIS_URL, checked when settings load, like the SENTRY_* variables (see bahk/sentry.py)."""

from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"  # REDIS_URL unset: a local Redis


# --8<-- [start:redis-url]
def redis_url(environ: Mapping[str, str]) -> str:
    """REDIS_URL, or a local Redis when it is unset; stop at start-up when it is unusable.

    An empty REDIS_URL would make Celery fall back to amqp://localhost and retry forever, and
    a malformed one would first fail at a request, with a message that does not name it.
    """
    url = environ.get("REDIS_URL", DEFAULT_REDIS_URL).strip()
    if problem := _problem(url):
        # The message never repeats the URL: it holds the Redis password.
        raise ImproperlyConfigured(
            f"REDIS_URL {problem}. Expected redis://[:password@]host[:port][/db], "
            "or rediss:// for TLS, as Heroku Key-Value Store sets it."
        )
    return url


# --8<-- [end:redis-url]


def _problem(url: str) -> str | None:
    if not url:
        return "is set but empty"
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return "must start with redis:// or rediss://"
    if not parts.hostname:
        return "names no host"
    try:
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return "has a port that is not a number"
    database = parts.path.replace("/", "")  # as redis-py reads it: "/0/" is database 0
    if database and not database.isdigit():
        return "has a database that is not a number"
    return None
