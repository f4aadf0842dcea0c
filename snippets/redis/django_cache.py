"""Django's cache on Redis: with RedisIntegration, every command becomes a db.redis span."""

from django.core.cache import cache

FAST_NAME_SECONDS = 24 * 60 * 60


def fast_name(fast) -> str:
    key = f"fast:{fast.id}:name"
    name = cache.get(key)
    if name is None:
        name = fast.name
        cache.set(key, name, FAST_NAME_SECONDS)
    return name
