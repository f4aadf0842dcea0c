"""The site built as `nox -s docs` builds it: `mkdocs build --strict`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mkdocs_build(destination: Path | str) -> list[str]:
    """The command that builds the site strictly, quietly, into `destination`."""
    return [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(destination)]


def mkdocs_environ() -> dict[str, str]:
    """This process's environment, without Material's notice about MkDocs 2."""
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
