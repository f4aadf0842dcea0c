"""A before_send hook that drops an event: returning None discards it, silently."""

from django.core.exceptions import DisallowedHost


def drop_disallowed_host(event, hint):
    # Bots probing with a forged Host header: Django answers 400 and logs an error.
    exc_info = hint.get("exc_info")
    if exc_info and isinstance(exc_info[1], DisallowedHost):
        return None
    return event
