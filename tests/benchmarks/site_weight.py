"""How heavy each built page is: its HTML plus every local file it makes the browser load.

Counted, uncompressed and once per page: stylesheets, scripts, icons and images the HTML
references, files the stylesheets reference with `url(...)` (fonts, images), and Material's
search worker and index, which every page fetches when it loads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

CSS_URL = re.compile(r"""url\(\s*['"]?(?P<url>[^'")]+)['"]?\s*\)""")
CSS_IMPORT = re.compile(r"""@import\s+['"](?P<url>[^'"]+)['"]""")
REFERENCE_ATTRIBUTES = {"link": "href", "script": "src", "img": "src", "source": "src"}
LINK_RELS_LOADED = {"stylesheet", "icon", "preload", "modulepreload", "manifest"}


@dataclass(frozen=True)
class PageWeight:
    page: str
    html_bytes: int
    asset_bytes: int
    assets: tuple[str, ...]

    @property
    def total_bytes(self) -> int:
        return self.html_bytes + self.asset_bytes


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.config_json = ""
        self._in_config = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("id") == "__config":
            self._in_config = True
        if tag == "link" and not set((attributes.get("rel") or "").split()) & LINK_RELS_LOADED:
            return
        if (name := REFERENCE_ATTRIBUTES.get(tag)) and attributes.get(name):
            self.urls.append(attributes[name])

    def handle_data(self, data: str) -> None:
        if self._in_config:
            self.config_json += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_config = False


def _local_file(site: Path, base: str, url: str) -> Path | None:
    """The file in `site` that `url`, seen from the site-relative `base`, points to."""
    resolved = urlsplit(urljoin(base, url))
    if resolved.scheme or resolved.netloc or not resolved.path:
        return None  # another host, data:, mailto:
    path = site / unquote(resolved.path).lstrip("/")
    if path.is_dir():
        path = path / "index.html"
    return path if path.is_file() else None


def _material_search_files(site: Path, base: str, config_json: str) -> list[Path]:
    """Material's inline config names the search worker; the worker loads the index."""
    if not config_json.strip():
        return []
    config = json.loads(config_json)
    files = []
    if worker := config.get("search"):
        files.append(_local_file(site, base, worker))
        files.append(
            _local_file(
                site, urljoin(base, config.get("base", ".") + "/"), "search/search_index.json"
            )
        )
    return [f for f in files if f is not None]


def page_weight(site: Path, page: Path) -> PageWeight:
    base = page.relative_to(site).as_posix()
    parser = _References()
    parser.feed(page.read_text(encoding="utf-8"))
    pending = [f for url in parser.urls if (f := _local_file(site, base, url))]
    pending += _material_search_files(site, base, parser.config_json)
    seen: set[Path] = set()
    while pending:
        asset = pending.pop()
        if asset in seen or asset == page:
            continue
        seen.add(asset)
        if asset.suffix == ".css":
            css = asset.read_text(encoding="utf-8", errors="replace")
            asset_base = asset.relative_to(site).as_posix()
            for match in [*CSS_URL.finditer(css), *CSS_IMPORT.finditer(css)]:
                if found := _local_file(site, asset_base, match["url"].strip()):
                    pending.append(found)
    return PageWeight(
        page=base,
        html_bytes=page.stat().st_size,
        asset_bytes=sum(asset.stat().st_size for asset in seen),
        assets=tuple(sorted(a.relative_to(site).as_posix() for a in seen)),
    )


def page_weights(site: Path) -> list[PageWeight]:
    """Every HTML page of a built site, heaviest first."""
    weights = [page_weight(site, page) for page in sorted(site.rglob("*.html"))]
    return sorted(weights, key=lambda w: w.total_bytes, reverse=True)
