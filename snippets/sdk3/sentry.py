"""bahk/sentry.py on sentry-sdk 3: the sections that change. The rest of the module (the DSN and
sample-rate checks, DATA_COLLECTION, filter_event, heroku_tags, ...) stays as it is."""

from collections.abc import Mapping

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration

from bahk.sentry import (
    DATA_COLLECTION,
    DEFAULT_ENVIRONMENT,
    _checked_dsn,
    _sample_rate,
    _then,
    filter_event,
    heroku_tags,
)


# --8<-- [start:options]
def sentry_options(environ: Mapping[str, str]) -> dict | None:
    """The keyword arguments for `sentry_sdk.init`, or None when SENTRY_DSN is unset."""
    dsn = environ.get("SENTRY_DSN", "").strip()
    if not dsn:
        return None
    return {
        "dsn": _checked_dsn(dsn),
        "environment": environ.get("SENTRY_ENVIRONMENT") or DEFAULT_ENVIRONMENT,
        "release": environ.get("SENTRY_RELEASE") or None,
        "traces_sample_rate": _sample_rate(environ, "SENTRY_TRACES_SAMPLE_RATE"),
        "integrations": [
            DjangoIntegration(),
            CeleryIntegration(monitor_beat_tasks=True),
            RedisIntegration(),
        ],
        "data_collection": DATA_COLLECTION,
        "before_send": filter_event,
        # No before_send_transaction: there are no transactions. Spans are sent as they end.
        "before_send_span": keep_only_user_id_on_span,
    }


# --8<-- [end:options]


# --8<-- [start:span-user]
# What spans say of the user when "user_info" is on, besides user.id.
USER_SPAN_ATTRIBUTES = ("user.name", "user.email", "user.ip_address")


def keep_only_user_id_on_span(span: dict, hint: dict) -> dict:
    """before_send_span: edit a span's attributes. It cannot drop the span."""
    for name in USER_SPAN_ATTRIBUTES:
        span["attributes"].pop(name, None)
    return span


# --8<-- [end:span-user]


# --8<-- [start:init]
def init_sentry(environ: Mapping[str, str], **overrides) -> bool:
    """Initialise Sentry from the environment; return whether it is on.

    A `before_send` or `before_send_span` passed here runs after bahk's hook of the same kind.
    """
    options = sentry_options(environ)
    if options is None:
        return False
    for hook in ("before_send", "before_send_span"):
        if hook in overrides:
            options[hook] = _then(options[hook], overrides.pop(hook))
    sentry_sdk.init(**{**options, **overrides})
    # Tags reach error events only; spans carry the global scope's attributes.
    scope = sentry_sdk.get_global_scope()
    scope.set_tags(heroku_tags(environ))
    scope.set_attributes(heroku_tags(environ))
    return True


# --8<-- [end:init]
