"""One issue for "Redis is unreachable", whichever host, port or line of code ran into it."""

import redis


def group_redis_outages(event: dict, hint: dict) -> dict:
    """before_send: every Redis connection error gets the same fingerprint."""
    exc_info = hint.get("exc_info")
    if exc_info and isinstance(exc_info[1], redis.exceptions.ConnectionError):
        event["fingerprint"] = ["redis-unavailable"]
    return event
