"""The demo (`nox -s demo`), read in Spotlight's UI: the error, a trace and a check-in.

The demo starts as `nox -s demo` starts it (demo/local.py): Redis, the Procfile's release
phase, web, worker and beat, and Spotlight. The test opens /sentry-debug/ and the map view
through the router, lets beat's entries run, then finds each in Spotlight's UI, refusing every
request to another host. The screenshots go to site-check/see-it-locally/; with
`--update-screenshots`, they also replace those the "See it locally" page shows.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from built_site import LOCAL_HOSTS, NOT_NETWORK, ROOT
from playwright.sync_api import Page, Route, expect

from demo.local import running_demo

PAGE_SCREENSHOTS = ROOT / "docs" / "assets" / "see-it-locally"
CHECK_SCREENSHOTS = ROOT / "site-check" / "see-it-locally"
# What the page shows, each taken below.
SCREENSHOTS = ("spotlight-error.png", "spotlight-trace.png", "spotlight-check-in.png")
MAP = "/api/fasts/{fast_id}/participants/map/"
ENTRY = "hourly-fast-map-updates"  # a beat entry: its check-ins
WAIT = 20_000  # ms: the demo runs on a busy machine
PAYLOAD = re.compile(
    r'PAYLOAD\n.*?monitor_slug:"(?P<monitor_slug>[^"]+)".*?status:"(?P<status>[^"]+)"', re.S
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with running_demo(tmp_path_factory.mktemp("demo"), spotlight_port=0) as demo:
        yield demo


@pytest.fixture
def spotlight(browser, demo):
    """A page of Spotlight's UI; `spotlight.refused` lists requests to other hosts."""
    context = browser.new_context(viewport={"width": 1200, "height": 720})
    refused = []

    def only_this_machine(route: Route) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in NOT_NETWORK or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", only_this_machine)
    page = context.new_page()
    page.refused = refused
    yield page
    context.close()


def shoot(page: Page, name: str, update: bool) -> None:
    CHECK_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=CHECK_SCREENSHOTS / name)
    if update:
        PAGE_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CHECK_SCREENSHOTS / name, PAGE_SCREENSHOTS / name)


def test_spotlight_shows_the_error_a_trace_and_a_check_in(demo, spotlight, request):
    update = request.config.getoption("--update-screenshots")
    router = demo.app.router
    assert router.request("GET", "/sentry-debug/").status == 500
    assert router.request("GET", MAP.format(fast_id=1)).status == 200
    # Beat sent its entries as it started; the worker ran them and sent the "ok" check-ins.
    demo.app.wait_for_output(
        r"worker\.1 +\| .*Task hub\.tasks\.update_fast_maps\[\S+\] succeeded", timeout=30
    )

    spotlight.goto(f"{demo.spotlight_url}telemetry/errors")
    spotlight.get_by_text("ZeroDivisionError").first.click(timeout=WAIT)
    expect(spotlight.get_by_text("bahk/views.py in sentry_debug")).to_be_visible()
    expect(spotlight.get_by_text("division_by_zero = 1 / 0")).to_be_visible()
    shoot(spotlight, "spotlight-error.png", update)

    spotlight.goto(f"{demo.spotlight_url}telemetry/traces")
    spotlight.get_by_text(MAP).first.click(timeout=WAIT)
    for span in ("http.server", "db", "db.redis", "map.build"):
        expect(spotlight.get_by_text(span, exact=True).first).to_be_visible()
    expect(spotlight.get_by_text("dyno_type")).to_be_visible()
    shoot(spotlight, "spotlight-trace.png", update)

    spotlight.goto(f"{demo.spotlight_url}telemetry/insights/envelopes")
    check_in = open_check_in(spotlight, ENTRY, "ok")
    assert check_in["monitor_slug"] == ENTRY and check_in["status"] == "ok"
    shoot(spotlight, "spotlight-check-in.png", update)

    assert spotlight.refused == [], "Spotlight's UI reached for other hosts"


def open_check_in(page: Page, slug: str, status: str) -> dict[str, str]:
    """Open the envelope of the check-in of `slug` with `status`, its payload in view."""
    expect(page.get_by_text("check_in", exact=True).first).to_be_visible(timeout=WAIT)
    rows = page.get_by_text("check_in", exact=True).count()  # before a panel adds one
    for number in range(rows):
        page.get_by_text("check_in", exact=True).nth(number).click()  # opens a panel
        page.locator('button[aria-controls="envelope-item-0"]').click()  # its item
        payload = page.get_by_text(re.compile("^payload$", re.IGNORECASE))
        payload.locator("xpath=..").locator(".node-ellipsis").first.click()
        payload.evaluate("element => element.scrollIntoView({block: 'start'})")
        shown = PAYLOAD.search(page.locator("main").inner_text())
        if shown and (shown["monitor_slug"], shown["status"]) == (slug, status):
            return shown.groupdict()
        page.get_by_text("✕", exact=True).click()  # close the panel
    raise AssertionError(f"No {status!r} check-in of {slug} among the {rows} in Spotlight")


def listening_addresses(port: int) -> set[str]:
    """The addresses a TCP server listens on at `port`, from Linux's socket tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                packed = bytes.fromhex(address)
                # The kernel writes each 32-bit word in host (little-endian) order.
                words = b"".join(packed[i : i + 4][::-1] for i in range(0, len(packed), 4))
                found.add(str(ipaddress.ip_address(words)))
    return found


def test_everything_the_demo_starts_listens_on_loopback_only(demo):
    environ = demo.app.environ
    ports = {
        "Spotlight's server": urlsplit(environ["SENTRY_SPOTLIGHT"]).port,
        "Spotlight's UI": urlsplit(demo.spotlight_url).port,
        "the router": demo.app.router.port,
        "the web dyno": int(environ["PORT"]),
        "Redis": urlsplit(environ["REDIS_URL"]).port,
    }
    addresses = {name: listening_addresses(port) for name, port in ports.items()}
    assert addresses == {name: {"127.0.0.1"} for name in ports}


def test_the_page_shows_the_screenshots_this_test_takes():
    page = (ROOT / "docs" / "see-it-locally.md").read_text()
    shown = {path.name for path in PAGE_SCREENSHOTS.glob("*.png")}
    assert shown == set(SCREENSHOTS)
    for name in SCREENSHOTS:
        assert f"(assets/see-it-locally/{name})" in page
