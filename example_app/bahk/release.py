"""The name of this build's Sentry release: one function, for the SDK and for sentry-cli."""

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured


# --8<-- [start:release-name]
def release_name(environ: Mapping[str, str]) -> str | None:
    """SENTRY_RELEASE, else the commit Heroku built; None when neither is set.

    bahk's settings pass it to `sentry_sdk.init`, and the release phase (bahk/sentry_release.py)
    creates the release of that name in Sentry: the two always agree.
    """
    name = (
        environ.get("SENTRY_RELEASE", "").strip()
        # Set once `heroku labs:enable runtime-dyno-build-metadata` is on.
        or environ.get("HEROKU_BUILD_COMMIT", "").strip()
        # Its older name (runtime-dyno-metadata), deprecated by Heroku.
        or environ.get("HEROKU_SLUG_COMMIT", "").strip()
    )
    if not name:
        return None
    if problem := _problem(name):
        raise ImproperlyConfigured(f"The Sentry release name {name[:60]!r} {problem}.")
    return name


def _problem(name: str) -> str | None:
    """What makes Sentry refuse a release name, if anything."""
    if len(name) > 200:
        return f"is {len(name)} characters long; Sentry accepts at most 200"
    if found := [char for char in "/\\\n\t" if char in name]:
        return f"contains {found[0]!r}; Sentry refuses slashes, backslashes, newlines and tabs"
    if name in (".", ".."):
        return "is not a name Sentry accepts"
    return None


# --8<-- [end:release-name]
