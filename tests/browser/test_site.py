"""The built site, read in headless Chromium: offline, searchable, copyable, accessible."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from built_site import ROOT, SITE_DIR, nav_pages

PAGES = nav_pages()
SCREENSHOTS = ROOT / "site-check"
PAYLOAD_TAB = "What Sentry receives"
CAPTURE_EXCEPTION = ROOT / "snippets" / "errors" / "capture_exception.py"
SERIOUS = {"serious", "critical"}
SEARCH_READY = "Type to start searching"


def page_id(path: str) -> str:
    return path.strip("/") or "home"


def test_every_built_page_is_in_the_nav():
    index = json.loads((SITE_DIR / "search" / "search_index.json").read_text())
    built = {doc["location"] for doc in index["docs"] if "#" not in doc["location"]}
    assert built == set(PAGES)


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_page_loads_offline_without_errors(open_page, traffic, path):
    page = open_page(path)

    assert page.locator("h1").first.is_visible()
    assert traffic.requests, "the page made no request at all"
    traffic.assert_clean()


@pytest.mark.parametrize(
    ("term", "expected"),
    [("monitor_beat_tasks", "crons/"), ("FastParticipantsMapView", "real-world-example/")],
)
def test_search_leads_to_the_page_about_it(open_page, traffic, site_url, term, expected):
    page = open_page("")

    # Material answers "Initializing search" until its worker has loaded the index.
    page.locator(".md-search-result__meta").filter(has_text=SEARCH_READY).wait_for(state="attached")
    page.keyboard.press("/")
    page.keyboard.type(term)
    results = page.locator(".md-search-result__item > .md-search-result__link")
    results.first.wait_for(timeout=10_000)
    paths = [urlsplit(href).path for href in results.evaluate_all("ls => ls.map(l => l.href)")]
    assert f"/{expected}" in paths, f"{term!r} found on {paths}, not on {expected}"

    results.nth(paths.index(f"/{expected}")).click()
    page.wait_for_url(f"{site_url}{expected}**")
    assert term in page.locator("article").inner_text()
    traffic.assert_clean()


def tab_set_showing(page, snippet: str):
    """The Code / What Sentry receives tabs whose code is this snippet file."""
    signature = next(line for line in snippet.splitlines() if line.startswith("def "))
    tab_set = page.locator(".tabbed-set").filter(has=page.locator("code", has_text=signature))
    assert tab_set.count() == 1, f"no single tab set shows {signature!r}"
    return tab_set


def test_copy_button_copies_the_snippet_file_exactly(open_page, traffic):
    page = open_page("errors/", permissions=["clipboard-read", "clipboard-write"])
    snippet = CAPTURE_EXCEPTION.read_text()
    code_block = tab_set_showing(page, snippet).locator(".tabbed-block").first

    code_block.hover()
    code_block.locator("button.md-code__button[data-md-type=copy]").click()

    copied = page.evaluate("navigator.clipboard.readText()")
    # The site shows (and copies) the file without its final newline.
    assert copied == snippet.removesuffix("\n")
    traffic.assert_clean()


def test_payload_tab_shows_the_recorded_payload(open_page, traffic):
    page = open_page("errors/")
    tab_set = tab_set_showing(page, CAPTURE_EXCEPTION.read_text())
    code, payload = tab_set.locator(":scope > .tabbed-content > .tabbed-block").all()
    assert code.is_visible() and not payload.is_visible()

    tab_set.locator(":scope > .tabbed-labels > label", has_text=PAYLOAD_TAB).click()

    assert payload.is_visible() and not code.is_visible()
    recorded = (ROOT / "tests" / "payloads" / "errors" / "capture_exception.json").read_text()
    assert json.loads(payload.inner_text()) == json.loads(recorded)
    traffic.assert_clean()


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_every_payload_tab_switches(open_page, traffic, path):
    page = open_page(path)
    tab_sets = page.locator(".tabbed-set").filter(
        has=page.locator(":scope > .tabbed-labels > label", has_text=PAYLOAD_TAB)
    )

    for tab_set in tab_sets.all():
        labels = tab_set.locator(":scope > .tabbed-labels > label")
        texts = labels.all_inner_texts()
        assert PAYLOAD_TAB in texts, f"tabs {texts}: the payload tab must be {PAYLOAD_TAB!r}"
        index = texts.index(PAYLOAD_TAB)
        labels.nth(index).click()
        panel = tab_set.locator(":scope > .tabbed-content > .tabbed-block").nth(index)
        assert panel.is_visible()
        assert json.loads(panel.inner_text()), "an empty payload panel"
    traffic.assert_clean()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_no_serious_accessibility_violations(open_page, traffic, path, scheme):
    page = open_page(path, color_scheme=scheme)
    requests_before = len(traffic.requests)

    results = Axe().run(page)

    violations = results.response["violations"]
    report = SCREENSHOTS / "axe" / f"{page_id(path)}-{scheme}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(violations, indent=2))
    serious = [
        f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} elements)"
        for v in violations
        if v["impact"] in SERIOUS
    ]
    assert serious == [], "\n".join(serious)
    assert traffic.requests[requests_before:] == [], "axe-core runs from the package, offline"
    traffic.assert_clean()


def png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


@pytest.mark.parametrize(
    ("width", "height", "kind"), [(1280, 800, "desktop"), (390, 844, "mobile")]
)
@pytest.mark.parametrize("path", ["", "errors/"], ids=page_id)
def test_screenshot(open_page, traffic, path, width, height, kind):
    page = open_page(path, width=width, height=height, is_mobile=kind == "mobile")
    screenshot = SCREENSHOTS / f"{page_id(path)}-{kind}.png"
    screenshot.unlink(missing_ok=True)

    page.screenshot(path=screenshot, full_page=True)

    screenshot_width, screenshot_height = png_size(screenshot)
    assert screenshot_width == width
    assert screenshot_height >= height
    traffic.assert_clean()


# Readable code on a laptop: nothing scrolls sideways at 1280 px.
OVERFLOWING = """
() => [...document.querySelectorAll(
    "article pre > code, article .md-typeset__scrollwrap, article .tabbed-labels"
  )]
  .filter((box) => box.getClientRects().length)  // hidden tabs and closed details: skipped
  .filter((box) => box.scrollWidth > box.clientWidth + 1)
  .map((box) => `${box.closest(".highlight, .md-typeset__table, .tabbed-set")?.querySelector(
      ".filename")?.textContent ?? box.tagName.toLowerCase()}: ${box.scrollWidth} px in ${
      box.clientWidth} px (${box.textContent.trim().split("\\n")[0].slice(0, 60)})`)
"""
SHOW_EVERYTHING = """
() => {
  for (const details of document.querySelectorAll("article details")) details.open = true;
}
"""


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_nothing_scrolls_sideways_at_1280_px(open_page, traffic, path):
    page = open_page(path, width=1280, height=800)
    page.evaluate(SHOW_EVERYTHING)

    overflowing = page.evaluate(OVERFLOWING)
    # Then the second and third tab of every tab set: a hidden panel has no width to measure.
    for index in (1, 2):
        for tab_set in page.locator("article .tabbed-set").all():
            labels = tab_set.locator(":scope > .tabbed-labels > label")
            if index < labels.count():
                labels.nth(index).click()
        overflowing += page.evaluate(OVERFLOWING)

    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert sorted(set(overflowing)) == []
    traffic.assert_clean()


def _rgb(css: str, behind: tuple[float, ...] = (255, 255, 255)) -> tuple[float, ...]:
    """The colour of `rgb(...)` or `rgba(...)`, composited over `behind`."""
    red, green, blue, *alpha = (
        float(part) for part in css[css.index("(") + 1 : css.index(")")].split(",")
    )
    opacity = alpha[0] if alpha else 1.0
    return tuple(
        opacity * value + (1 - opacity) * under
        for value, under in zip((red, green, blue), behind, strict=True)
    )


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = map(channel, rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(one: tuple[float, ...], other: tuple[float, ...]) -> float:
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_highlighted_lines_stand_out(open_page, traffic, scheme):
    page = open_page("errors/", color_scheme=scheme)
    line = page.locator("article .highlight .hll").first
    code = line.locator("xpath=ancestor::code[1]")

    code_background = _rgb(code.evaluate("e => getComputedStyle(e).backgroundColor"))
    line_background = _rgb(
        line.evaluate("e => getComputedStyle(e).backgroundColor"), behind=code_background
    )
    bar = line.evaluate("e => getComputedStyle(e).boxShadow")
    bar_colour = _rgb(bar)
    bar_width = float(bar.split(")")[1].split()[0].removesuffix("px"))

    # The bar: wide, and a colour that stands out from the code like any UI control (3:1).
    assert bar_width >= 3, bar
    assert _contrast(bar_colour, code_background) >= 3, bar
    # The line's background differs visibly from the rest of the block.
    assert _contrast(line_background, code_background) >= 1.1
    traffic.assert_clean()


CODE_BROKEN_IN_CELLS = """
() => [...document.querySelectorAll("article td code, article th code")]
  .filter((code) => !/\\s/.test(code.textContent) && code.getClientRects().length > 1)
  .map((code) => code.textContent)
"""


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_code_in_table_cells_is_never_broken_inside_a_word(open_page, traffic, path):
    page = open_page(path, width=1280, height=800)

    assert page.evaluate(CODE_BROKEN_IN_CELLS) == []
    traffic.assert_clean()


def shown_tabs(page) -> list[str]:
    """The label of the tab each Code / What Sentry receives tab set shows."""
    return page.locator("article .tabbed-set").evaluate_all(
        """sets => sets
          .filter(set => [...set.querySelectorAll(':scope > .tabbed-labels > label')]
            .some(label => label.textContent.trim() === 'What Sentry receives'))
          .map(set => {
            const checked = set.querySelector(':scope > input:checked');
            return set.querySelector(`:scope > .tabbed-labels > label[for="${checked.id}"]`)
              .textContent.trim();
          })"""
    )


def test_choosing_a_payload_tab_switches_that_tab_set_only(open_page, traffic, site_url):
    page = open_page("errors/")
    tab_set_showing(page, CAPTURE_EXCEPTION.read_text()).locator(
        ":scope > .tabbed-labels > label", has_text=PAYLOAD_TAB
    ).click()

    shown = shown_tabs(page)
    assert shown.count(PAYLOAD_TAB) == 1, shown
    assert len(shown) > 1
    # Nor on the next page of the same visit.
    page.goto(site_url + "celery/", wait_until="networkidle")
    assert set(shown_tabs(page)) == {"Code"}
    traffic.assert_clean()


TRACE_TAB = "As a trace"


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_trace_pictures_render_with_text_alternatives(open_page, traffic, path):
    page = open_page(path)
    tab_sets = page.locator(".tabbed-set").filter(
        has=page.locator(":scope > .tabbed-labels > label", has_text=TRACE_TAB)
    )

    for tab_set in tab_sets.all():
        labels = tab_set.locator(":scope > .tabbed-labels > label")
        index = labels.all_inner_texts().index(TRACE_TAB)
        labels.nth(index).click()
        panel = tab_set.locator(":scope > .tabbed-content > .tabbed-block").nth(index)
        for svg in panel.locator("svg.trace-waterfall").all():
            box = svg.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 40, box
            # Its accessible name and description come from its <title> and <desc>.
            label_ids = svg.get_attribute("aria-labelledby").split()
            texts = [page.locator(f"#{ident}").text_content() for ident in label_ids]
            assert all(text and text.strip() for text in texts), label_ids
            assert svg.get_attribute("role") == "img"
            assert svg.locator("rect").count() >= 1
        assert "measured on the machine" in panel.inner_text()
    traffic.assert_clean()
