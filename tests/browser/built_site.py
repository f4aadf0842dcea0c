"""Where the built site and the browser are, and which pages the site has."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from mkdocs.config import load_config

from harness.chromium import CHROMIUM as CHROMIUM  # the browser conftest reads it from here

ROOT = Path(__file__).resolve().parents[2]
SITE_DIR = Path(os.environ.get("SITE_DIR", ROOT / "site"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The sizes the pages are read at: a laptop, and a phone.
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
NOT_NETWORK = {"data", "blob", "about"}


def nav_pages() -> list[str]:
    """The URL path of every page in mkdocs.yml's nav, e.g. "" and "errors/"."""
    config = load_config(str(ROOT / "mkdocs.yml"))

    def walk(items) -> Iterator[str]:
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            if isinstance(value, list):
                yield from walk(value)
            elif value.endswith(".md"):
                yield "" if value == "index.md" else value.removesuffix(".md") + "/"

    return list(walk(config["nav"]))


def page_id(path: str) -> str:
    """A page's name in test ids: "home", "errors", ..."""
    return path.strip("/") or "home"


def nav_pages_showing(text: str) -> list[str]:
    """The nav's pages whose Markdown source contains `text` (an include path, a macro)."""

    def source(path: str) -> Path:  # "" is index.md, "errors/" is errors.md
        return ROOT / "docs" / (f"{path.rstrip('/')}.md" if path else "index.md")

    return [path for path in nav_pages() if text in source(path).read_text()]
