"""The built site (site/), served on 127.0.0.1 and read by headless Chromium as a reader would.

`nox -s browser` builds the site strictly, then runs these tests. They use Debian's Chromium
(/usr/bin/chromium), never a browser downloaded by Playwright, and every request to a host
other than this machine is recorded and refused, so the site is checked as it works offline.

Each page of the nav is opened once per way of reading it (`laptop`, `dark`, `phone`), and
every check of that page shares that visit: the fixtures are module-scoped with the pages as
parameters, so pytest runs the checks page by page, in the order of the test module.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from built_site import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LAPTOP,
    LOCAL_HOSTS,
    NOT_NETWORK,
    PHONE,
    SITE_DIR,
    nav_pages,
    page_id,
)
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, sync_playwright

from harness.loopback_http import LoopbackHTTPServer

PAGES = nav_pages()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def pytest_addoption(parser):
    parser.addoption(
        "--update-screenshots",
        action="store_true",
        help="rewrite the screenshots the pages show (docs/assets/), from test_demo.py",
    )


@pytest.fixture(scope="session")
def site_url() -> Iterator[str]:
    """http://127.0.0.1:<port>/ serving the built site."""
    if not (SITE_DIR / "index.html").is_file():
        pytest.fail(f"No built site in {SITE_DIR}: run `nox -s browser`, which builds it first.")
    handler = functools.partial(_QuietHandler, directory=str(SITE_DIR))
    with LoopbackHTTPServer(handler) as server:
        yield f"http://127.0.0.1:{server.port}/"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"No Chromium at {CHROMIUM}: `apt-get install chromium` (nox -s browser does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Traffic:
    """What the pages of one test asked for and complained about."""

    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"request to another host: {url}" for url in self.refused]
            + [f"failed: {failure}" for failure in self.failed]
            + [f"console error: {text}" for text in self.console_errors]
        )

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "\n".join(["The site must work offline and quietly:", *problems])


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in NOT_NETWORK or parts.hostname in LOCAL_HOSTS


def open_in(browser: Browser, site_url: str, traffic: Traffic, path: str = "", **options):
    """(context, page): a new browser context showing `path` of the served site, its requests,
    failures and console errors recorded in `traffic`. Options go to Browser.new_context."""
    options.setdefault("viewport", LAPTOP)
    context = browser.new_context(base_url=site_url, **options)

    def refuse_other_hosts(route: Route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            traffic.refused.append(route.request.url)
            route.abort("blockedbyclient")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            traffic.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def on_response(response) -> None:
        if response.status >= 400:
            traffic.failed.append(f"{response.status} {response.url}")

    def on_request_failed(request: Request) -> None:
        if _is_local(request.url):
            traffic.failed.append(f"{request.failure} {request.url}")

    context.route("**/*", refuse_other_hosts)
    page = context.new_page()
    page.on("request", lambda request: traffic.requests.append(request.url))
    page.on("console", on_console)
    page.on("pageerror", lambda error: traffic.console_errors.append(str(error)))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    # "load", not "networkidle": the site's assets are in by then, and networkidle waits a
    # further 500 ms on every page. Search loads its index later; its tests wait for it.
    page.goto(site_url + path, wait_until="load")
    return context, page


@pytest.fixture
def open_page(browser, site_url, traffic):
    """open_page(path, width=1280, height=800) -> a Page of the served site, recording traffic."""
    contexts = []

    def open_(path: str = "", width: int = 1280, height: int = 800, **options) -> Page:
        context, page = open_in(
            browser, site_url, traffic, path, viewport={"width": width, "height": height}, **options
        )
        contexts.append(context)
        return page

    yield open_
    for context in contexts:
        context.close()


@dataclass
class Visit:
    """One page of the site, open in a browser context of its own, and what it asked for."""

    path: str
    page: Page
    traffic: Traffic

    @property
    def name(self) -> str:
        return page_id(self.path)


def _visit(request, browser, site_url, **options) -> Iterator[Visit]:
    traffic = Traffic()
    context, page = open_in(browser, site_url, traffic, request.param, **options)
    yield Visit(request.param, page, traffic)
    context.close()


@pytest.fixture(scope="module", params=PAGES, ids=page_id)
def laptop(request, browser, site_url) -> Iterator[Visit]:
    """A page of the nav at 1280 x 800, light scheme."""
    yield from _visit(request, browser, site_url, viewport=LAPTOP)


@pytest.fixture(scope="module", params=PAGES, ids=page_id)
def dark(request, browser, site_url) -> Iterator[Visit]:
    """A page of the nav at 1280 x 800, the system asking for a dark scheme."""
    yield from _visit(request, browser, site_url, viewport=LAPTOP, color_scheme="dark")


@pytest.fixture(scope="module", params=PAGES, ids=page_id)
def phone(request, browser, site_url) -> Iterator[Visit]:
    """A page of the nav on a phone, 390 x 844."""
    yield from _visit(request, browser, site_url, viewport=PHONE, is_mobile=True, has_touch=True)
