"""A before_send of your own, next to bahk's: init_sentry runs it after bahk's hook."""

import os

from bahk.sentry import init_sentry


def drop_broken_pipe(event: dict, hint: dict) -> dict | None:
    """The client hung up while the response was being written (see Debugging)."""
    exc_info = hint.get("exc_info")
    if exc_info and isinstance(exc_info[1], BrokenPipeError):
        return None
    return event


def start_sentry(**options) -> bool:
    # Not sentry_sdk.init(before_send=...): a client has one before_send, and bahk's would go.
    return init_sentry(os.environ, before_send=drop_broken_pipe, **options)
