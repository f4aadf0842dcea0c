"""The developer's own settings, which never reach a test run, a benchmark or a dyno we start.

Standard library only: noxfile.py imports it too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# What Sentry's SDK, Heroku, Django, Celery and the example app read from the environment.
SETTINGS_PREFIXES = ("SENTRY_", "HEROKU_", "DJANGO_", "CELERY_")
SETTINGS_NAMES = ("DYNO", "SOURCE_VERSION", "DATABASE_URL", "REDIS_URL")

# A DSN in the documentation range: it parses, and nothing is ever sent to it.
TEST_DSN = "https://public@sentry.example.invalid/1"


def is_setting(name: str) -> bool:
    return name.startswith(SETTINGS_PREFIXES) or name in SETTINGS_NAMES


def settings_in(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The names in `environ` that would change what the example app or the SDK does."""
    return [name for name in environ if is_setting(name)]


def clean_environ(environ: Mapping[str, str] = os.environ, **extra: str) -> dict[str, str]:
    """A copy of `environ` without those settings, plus `extra`."""
    return {name: value for name, value in environ.items() if not is_setting(name)} | extra
