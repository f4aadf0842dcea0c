"""`python -m bahk.sentry_release`: the Sentry release of this build, in Heroku's release phase.

The Procfile runs it after the migrations. With sentry-cli it creates the release that the
SDK reports (named by bahk/release.py), links its commit, finalizes it and records a deploy
to SENTRY_ENVIRONMENT. It never fails the release phase: a Sentry that is not configured or
not reachable is said in the release log, and the deploy goes on.
"""

import os
import subprocess
import sys
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

from bahk.release import release_name
from bahk.sentry import DEFAULT_ENVIRONMENT

# sentry-cli reads these itself: an auth token with the project:releases scope, and the
# organization and project slugs.
# --8<-- [start:steps]
SENTRY_CLI_VARIABLES = ("SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_PROJECT")


def sentry_cli_steps(environ: Mapping[str, str], release: str) -> list[list[str]]:
    """The sentry-cli commands that create, link, finalize and deploy `release`."""
    steps = [["sentry-cli", "releases", "new", release]]
    # The repository as Sentry's GitHub (or GitLab, ...) integration names it: "acme/bahk".
    repository = environ.get("SENTRY_REPOSITORY", "").strip()
    commit = environ.get("HEROKU_BUILD_COMMIT", "").strip()
    if repository and commit:
        steps.append(
            ["sentry-cli", "releases", "set-commits", release, "--commit", f"{repository}@{commit}"]
        )
    environment = environ.get("SENTRY_ENVIRONMENT") or DEFAULT_ENVIRONMENT
    steps.append(["sentry-cli", "releases", "finalize", release])
    steps.append(["sentry-cli", "deploys", "new", "--release", release, "--env", environment])
    return steps


# --8<-- [end:steps]


# --8<-- [start:main]
def main(environ: Mapping[str, str]) -> None:
    if missing := [name for name in SENTRY_CLI_VARIABLES if not environ.get(name, "").strip()]:
        return say(f"{', '.join(missing)} not set: no Sentry release created.")
    try:
        release = release_name(environ)
    except ImproperlyConfigured as error:
        return say(f"{error} No Sentry release created.")
    if release is None:
        return say(
            "no release name: set SENTRY_RELEASE, or run "
            "`heroku labs:enable runtime-dyno-build-metadata` to get HEROKU_BUILD_COMMIT."
        )
    for step in sentry_cli_steps(environ, release):
        if subprocess.run(step).returncode != 0:
            return say(f"`{' '.join(step)}` failed (see above); the deploy goes on.")
    say(f"{release} created, finalized and deployed to Sentry.")


def say(message: str) -> None:
    print(f"Sentry release: {message}", file=sys.stderr)


# --8<-- [end:main]

if __name__ == "__main__":
    main(os.environ)
