"""The built site (site/), served on 127.0.0.1 and read by headless Chromium as a reader would.

`nox -s browser` builds the site strictly, then runs these tests. They use Debian's Chromium
(/usr/bin/chromium), never a browser downloaded by Playwright, and every request to a host
other than this machine is recorded and refused, so the site is checked as it works offline.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from built_site import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, NOT_NETWORK, SITE_DIR
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, sync_playwright


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
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


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


@pytest.fixture
def open_page(browser, site_url, traffic):
    """open_page(path, width=1280, height=800) -> a Page of the served site, recording traffic."""
    contexts = []

    def refuse_other_hosts(route: Route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            traffic.refused.append(route.request.url)
            route.abort("blockedbyclient")

    def on_request(request: Request) -> None:
        traffic.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            traffic.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def on_response(response) -> None:
        if response.status >= 400:
            traffic.failed.append(f"{response.status} {response.url}")

    def on_request_failed(request: Request) -> None:
        if _is_local(request.url):
            traffic.failed.append(f"{request.failure} {request.url}")

    def open_(path: str = "", width: int = 1280, height: int = 800, **options) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=site_url, **options
        )
        contexts.append(context)
        context.route("**/*", refuse_other_hosts)
        page = context.new_page()
        page.on("request", on_request)
        page.on("console", on_console)
        page.on("pageerror", lambda error: traffic.console_errors.append(str(error)))
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        page.goto(site_url + path, wait_until="networkidle")
        return page

    yield open_
    for context in contexts:
        context.close()
