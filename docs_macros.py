"""Values computed when the site is built (mkdocs-macros), for pages with `render_macros: true`."""

from __future__ import annotations

import platform
import tomllib
from pathlib import Path

LOCK_FILE = Path(__file__).parent / "uv.lock"
# Distribution name in uv.lock -> the name a reader knows it by.
VERIFIED_PACKAGES = {
    "sentry-sdk": "sentry-sdk",
    "django": "Django",
    "celery": "Celery",
    "redis": "redis-py",
}


def locked_versions(lock_file: Path = LOCK_FILE) -> dict[str, str]:
    """The version of every package uv.lock pins, by distribution name."""
    lock = tomllib.loads(lock_file.read_text())
    return {package["name"]: package["version"] for package in lock["package"]}


def verified_with() -> str:
    """'Python 3.11.7, sentry-sdk 2.75.0, ...': this build's Python and the locked versions."""
    versions = locked_versions()
    return ", ".join(
        [f"Python {platform.python_version()}"]
        + [f"{label} {versions[name]}" for name, label in VERIFIED_PACKAGES.items()]
    )


def define_env(env) -> None:
    env.macro(verified_with)
