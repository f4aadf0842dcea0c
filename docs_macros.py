"""Values computed when the site is built (mkdocs-macros), for pages with `render_macros: true`."""

from __future__ import annotations

import platform
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parent
LOCK_FILE = ROOT / "uv.lock"
PYPROJECT = ROOT / "pyproject.toml"
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


def accepted_ranges(pyproject: Path = PYPROJECT) -> dict[str, str]:
    """The version range the example app accepts for each dependency, by distribution name."""
    requirements = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return {
        # Lower bound first, as people write them: >=2.75,<3.
        canonicalize_name(req.name): ",".join(sorted(map(str, req.specifier), key=_is_upper_bound))
        for req in map(Requirement, requirements)
    }


def _is_upper_bound(specifier: str) -> bool:
    return specifier.startswith("<")


def stack_versions() -> str:
    """A Markdown table: each part of the stack, the version verified and the range accepted."""
    versions = locked_versions()
    ranges = accepted_ranges()
    python_range = tomllib.loads(PYPROJECT.read_text())["project"]["requires-python"]
    rows = [("Python", platform.python_version(), python_range)]
    rows += [(label, versions[name], ranges[name]) for name, label in VERIFIED_PACKAGES.items()]
    lines = [
        "| Part | Verified with | The example app accepts |",
        "| --- | --- | --- |",
        *(f"| {label} | {version} | `{accepted}` |" for label, version, accepted in rows),
    ]
    return "\n".join(lines)


def define_env(env) -> None:
    env.macro(stack_versions)
