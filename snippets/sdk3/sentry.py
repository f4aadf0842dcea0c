"""bahk/sentry.py on sentry-sdk 3: the sections that change. The rest of the module (the DSN,
release and sample-rate checks, DATA_COLLECTION, filter_event, heroku_tags, ...) stays as it is."""

from collections.abc import Mapping

import sentry_sdk

from bahk import sentry as bahk_sentry
from bahk.sentry import _then, heroku_tags, without_query


# --8<-- [start:options]
def sentry_options(environ: Mapping[str, str]) -> dict | None:
    """bahk's options (bahk/sentry.py), less the 2.x transaction options, plus a span hook."""
    options = bahk_sentry.sentry_options(environ)
    if options is None:
        return None
    # Each is a TypeError at init on 3.x: there are no transactions to edit, drop or filter.
    del options["before_send_transaction"], options["trace_ignore_status_codes"]
    # Spans are sent as they end; this hook edits each one (it cannot drop it).
    options["before_send_span"] = filter_span
    return options


# --8<-- [end:options]


# --8<-- [start:span-user]
# What spans say of the user when "user_info" is on, besides user.id.
USER_SPAN_ATTRIBUTES = ("user.name", "user.email", "user.ip_address")
# 3.x puts the request's headers on its span too: the Referer with the previous page's query.
REFERER = "http.request.header.referer"


def filter_span(span: dict, hint: dict) -> dict:
    """before_send_span, filter_event's twin: the user id only, the Referer without its query.

    It edits a span's attributes; it cannot drop the span.
    """
    attributes = span["attributes"]
    for name in USER_SPAN_ATTRIBUTES:
        attributes.pop(name, None)
    if isinstance(referer := attributes.get(REFERER), str):  # 2.75, streaming
        attributes[REFERER] = without_query(referer)
    elif referer:  # 3.x: a list, a value for each Referer line
        attributes[REFERER] = [without_query(url) for url in referer]
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
