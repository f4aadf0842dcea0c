"""The built site, read in headless Chromium: offline, searchable, copyable, accessible.

The checks of every page share three visits of it (conftest.py: `laptop`, `dark`, `phone`) and
run in this file's order: the screenshots and axe-core see each page as it loaded, before the
checks below them click its tabs.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from built_site import LAPTOP, PHONE, ROOT, SITE_DIR, nav_pages, nav_pages_showing, page_id
from playwright.sync_api import Page

from docs_macros import LABELS

SCREENSHOTS = ROOT / "site-check"
PAYLOAD_TAB = "What Sentry receives"
TRACE_TAB = "As a trace"
CAPTURE_EXCEPTION = ROOT / "snippets" / "errors" / "capture_exception.py"
SERIOUS = {"serious", "critical"}
SEARCH_READY = "Type to start searching"


def test_every_built_page_is_in_the_nav():
    index = json.loads((SITE_DIR / "search" / "search_index.json").read_text())
    built = {doc["location"] for doc in index["docs"] if "#" not in doc["location"]}
    assert built == set(nav_pages())


def test_page_loads_offline_without_errors(laptop):
    # Every request the page makes, the search index included, before the traffic is judged.
    laptop.page.wait_for_load_state("networkidle")

    assert laptop.page.locator("h1").first.is_visible()
    assert laptop.traffic.requests, "the page made no request at all"
    laptop.traffic.assert_clean()


def png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


def screenshot(visit, kind: str) -> None:
    """site-check/<page>-<kind>.png, the whole page as it loaded, to be looked at."""
    path = SCREENSHOTS / f"{visit.name}-{kind}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)

    visit.page.screenshot(path=path, full_page=True)

    width, height = png_size(path)
    viewport = visit.page.viewport_size
    assert width == viewport["width"]
    assert height >= viewport["height"]
    visit.traffic.assert_clean()


def test_screenshot_on_a_laptop(laptop):
    screenshot(laptop, "desktop")


def test_screenshot_in_dark_mode(dark):
    assert dark.page.locator("body").get_attribute("data-md-color-scheme") == "slate"
    screenshot(dark, "dark")


def test_screenshot_on_a_phone(phone):
    screenshot(phone, "mobile")
    # Code blocks and wide tables scroll inside themselves; the page itself never sideways.
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


# In dark mode only the colours differ from the light page that every rule has checked.
COLOUR_RULES = {"resultTypes": ["violations"], "runOnly": ["color-contrast", "link-in-text-block"]}


def accessibility(visit, scheme: str, options: dict | None = None) -> None:
    # The page's own late requests (Chromium asks for the favicon after "load") come first.
    visit.page.wait_for_load_state("networkidle")
    requests_before = len(visit.traffic.requests)

    results = Axe().run(visit.page, options=options or {"resultTypes": ["violations"]})

    violations = results.response["violations"]
    report = SCREENSHOTS / "axe" / f"{visit.name}-{scheme}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(violations, indent=2))
    serious = [
        f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} elements)"
        for v in violations
        if v["impact"] in SERIOUS
    ]
    assert serious == [], "\n".join(serious)
    assert visit.traffic.requests[requests_before:] == [], "axe-core runs from the package, offline"
    visit.traffic.assert_clean()


def test_no_serious_accessibility_violations(laptop):
    accessibility(laptop, "light")


def test_no_serious_accessibility_violations_in_dark_mode(dark):
    accessibility(dark, "dark", COLOUR_RULES)


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


HIGHLIGHTS = """
() => [...new Set([...document.querySelectorAll("article .highlight .hll")].map((line) => {
  const code = line.closest("code");
  return JSON.stringify([getComputedStyle(code).backgroundColor,
    getComputedStyle(line).backgroundColor, getComputedStyle(line).boxShadow]);
}))].map((styles) => JSON.parse(styles))
"""


def highlighted_lines_stand_out(visit) -> None:
    # Each different look of the page's highlighted lines (hidden tabs too: styles are the same).
    looks = visit.page.evaluate(HIGHLIGHTS)
    assert looks, f"hl_lines in the source of {visit.name}, and no highlighted line"

    for code_css, line_css, bar in looks:
        code_background = _rgb(code_css)
        line_background = _rgb(line_css, behind=code_background)
        bar_width = float(bar.split(")")[1].split()[0].removesuffix("px"))
        # The bar: wide, and a colour that stands out from the code like any UI control (3:1).
        assert bar_width >= 3, bar
        assert _contrast(_rgb(bar), code_background) >= 3, bar
        # The line's background differs visibly from the rest of the block.
        assert _contrast(line_background, code_background) >= 1.1, (line_css, code_css)
    visit.traffic.assert_clean()


def on_pages_showing(text: str, visit: str = "laptop"):
    """Run a test with the `visit` fixture on the pages whose source contains `text`."""
    return pytest.mark.parametrize(visit, nav_pages_showing(text), indirect=True, ids=page_id)


@on_pages_showing("hl_lines=")
def test_highlighted_lines_stand_out(laptop):
    highlighted_lines_stand_out(laptop)


@on_pages_showing("hl_lines=", "dark")
def test_highlighted_lines_stand_out_in_dark_mode(dark):
    highlighted_lines_stand_out(dark)


CODE_BROKEN_IN_CELLS = """
() => [...document.querySelectorAll("article td code, article th code")]
  .filter((code) => !/\\s/.test(code.textContent) && code.getClientRects().length > 1)
  .map((code) => code.textContent)
"""


def test_code_in_table_cells_is_never_broken_inside_a_word(laptop):
    assert laptop.page.evaluate(CODE_BROKEN_IN_CELLS) == []
    laptop.traffic.assert_clean()


# Each run of non-space characters in a right-aligned (figures) cell that spans two lines.
FIGURES_BROKEN_IN_CELLS = """
() => [...document.querySelectorAll('article :is(td, th)[style*="text-align: right"]')]
  .flatMap((cell) => {
    const broken = [];
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      for (const match of text.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(text, match.index);
        range.setEnd(text, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
    return broken;
  })
"""


def test_figures_in_table_cells_are_never_broken(laptop):
    # A benchmark's "1.58x (1.50-1.69)" was cut after its hyphen.
    assert laptop.page.evaluate(FIGURES_BROKEN_IN_CELLS) == []
    laptop.traffic.assert_clean()


CUT_OFF_IN_THE_NAV = """
() => [...document.querySelectorAll(".md-sidebar .md-ellipsis")]
  .filter((item) => item.getClientRects().length && item.scrollWidth > item.clientWidth + 1)
  .map((item) => item.textContent.trim())
"""


def test_no_entry_of_the_navigation_is_cut_off(laptop):
    # Material ends a nav entry that does not fit with an ellipsis: a long name lost its end.
    assert laptop.page.evaluate(CUT_OFF_IN_THE_NAV) == []
    laptop.traffic.assert_clean()


def tab_sets_with(page: Page, label: str):
    return page.locator("article .tabbed-set").filter(
        has=page.locator(":scope > .tabbed-labels > label", has_text=label)
    )


def choose(tab_set, label: str):
    """Click the tab `label` of this tab set, as a reader does; its panel."""
    labels = tab_set.locator(":scope > .tabbed-labels > label")
    index = labels.all_inner_texts().index(label)
    labels.nth(index).click()
    return tab_set.locator(":scope > .tabbed-content > .tabbed-block").nth(index)


def shown_payloads(panel) -> list[dict]:
    """The JSON payloads a "What Sentry receives" panel shows (a page comparing two SDK versions
    shows two), each titled with its recorded file."""
    titles = panel.locator(".filename").all_inner_texts()
    assert titles and all(title.startswith("tests/payloads/") for title in titles), titles
    # text_content: the JSON as written; inner_text would part highlighted lines (blocks)
    # with blank lines.
    payloads = [json.loads(code) for code in panel.locator("pre > code").all_text_contents()]
    assert len(payloads) == len(titles)
    return payloads


@on_pages_showing('--8<-- "tests/payloads/')
def test_every_payload_tab_switches(laptop):
    tab_sets = tab_sets_with(laptop.page, PAYLOAD_TAB).all()
    assert tab_sets, f"payloads in the source of {laptop.name}, and no payload tab"

    for tab_set in tab_sets:
        panel = choose(tab_set, PAYLOAD_TAB)

        assert panel.is_visible()
        payloads = shown_payloads(panel)
        assert payloads and all(payloads), "an empty payload panel"
    laptop.traffic.assert_clean()


# A trace picture that the browser drew as docs_macros.trace_picture wrote it: nothing but SVG
# inside (Markdown's <em> once broke out of one), labels left of the bars, durations inside
# the picture or, when written on a bar, inside that bar.
DRAWN_AS_WRITTEN = """
(svg, labels) => {
  const problems = [...svg.querySelectorAll("*")]
    .filter((element) => element.namespaceURI !== "http://www.w3.org/2000/svg")
    .map((element) => `an HTML <${element.localName}> inside the SVG`);
  for (const row of svg.querySelectorAll(".row")) {
    const label = row.querySelector(".label").getBBox();
    const bar = row.querySelector("rect").getBBox();
    const duration = row.querySelector(".duration").getBBox();
    const name = row.querySelector(".label").textContent;
    if (label.x + label.width > labels) problems.push(`label ${name} runs into the bars`);
    if (bar.x < labels) problems.push(`bar of ${name} starts among the labels`);
    if (duration.x < labels) problems.push(`duration of ${name} runs into the labels`);
    if (duration.x + duration.width > svg.viewBox.baseVal.width)
      problems.push(`duration of ${name} leaves the picture`);
    if (row.querySelector(".duration.inside") && duration.x < bar.x)
      problems.push(`duration of ${name} is wider than its bar`);
  }
  return problems;
}
"""


@on_pages_showing("trace_picture(")
def test_trace_pictures_render_with_text_alternatives(laptop):
    page = laptop.page
    tab_sets = tab_sets_with(page, TRACE_TAB).all()
    assert tab_sets, f"trace_picture in the source of {laptop.name}, and no trace tab"

    for tab_set in tab_sets:
        panel = choose(tab_set, TRACE_TAB)

        svgs = panel.locator("svg.trace-waterfall").all()
        assert svgs, "an 'As a trace' tab without a picture"
        for svg in svgs:
            box = svg.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 40, box
            assert svg.evaluate(DRAWN_AS_WRITTEN, LABELS) == []
            # Its accessible name and description come from its <title> and <desc>.
            label_ids = svg.get_attribute("aria-labelledby").split()
            texts = [page.locator(f"#{ident}").text_content() for ident in label_ids]
            assert all(text and text.strip() for text in texts), label_ids
            assert svg.get_attribute("role") == "img"
            assert svg.locator(".row rect").count() >= 1
        assert "measured on the machine" in panel.inner_text()
    laptop.traffic.assert_clean()


# Readable code on a laptop: nothing scrolls sideways at 1280 px. Every tab of every tab set is
# shown in turn (a hidden panel has no width to measure), with every <details> open; then the
# page is put back as it was.
OVERFLOWING = """
() => {
  const overflowing = () => [...document.querySelectorAll(
      "article pre > code, article .md-typeset__scrollwrap, article .tabbed-labels"
    )]
    .filter((box) => box.getClientRects().length)  // in a hidden tab: measured in its turn
    .filter((box) => box.scrollWidth > box.clientWidth + 1)
    .map((box) => `${box.closest(".highlight, .md-typeset__table, .tabbed-set")?.querySelector(
        ".filename")?.textContent ?? box.tagName.toLowerCase()}: ${box.scrollWidth} px in ${
        box.clientWidth} px (${box.textContent.trim().split("\\n")[0].slice(0, 60)})`)
    .concat(document.documentElement.scrollWidth > innerWidth
      ? [`the page: ${document.documentElement.scrollWidth} px`] : []);
  const details = [...document.querySelectorAll("article details")];
  const wasOpen = details.map((element) => element.open);
  const inputs = [...document.querySelectorAll("article .tabbed-set")]
    .map((set) => [...set.querySelectorAll(":scope > input")]);
  const wasChecked = inputs.map((set) => set.find((input) => input.checked));
  for (const element of details) element.open = true;
  const found = new Set();
  const most = Math.max(1, ...inputs.map((set) => set.length));
  for (let index = 0; index < most; index++) {
    for (const set of inputs) if (index < set.length) set[index].checked = true;
    for (const problem of overflowing()) found.add(problem);
  }
  details.forEach((element, index) => { element.open = wasOpen[index]; });
  for (const input of wasChecked) if (input) input.checked = true;
  return [...found].sort();
}
"""


def test_nothing_scrolls_sideways_at_1280_px(laptop):
    assert laptop.page.viewport_size == LAPTOP

    assert laptop.page.evaluate(OVERFLOWING) == []
    laptop.traffic.assert_clean()


# Checks of one page, or a visit of more than one: a context of their own.


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
    code, payload, *_ = tab_set.locator(":scope > .tabbed-content > .tabbed-block").all()
    assert code.is_visible() and not payload.is_visible()

    choose(tab_set, PAYLOAD_TAB)

    assert payload.is_visible() and not code.is_visible()
    recorded = "tests/payloads/errors/capture_exception.json"
    assert payload.locator(".filename").inner_text() == recorded
    assert shown_payloads(payload) == [json.loads((ROOT / recorded).read_text())]
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
    choose(tab_set_showing(page, CAPTURE_EXCEPTION.read_text()), PAYLOAD_TAB)

    shown = shown_tabs(page)
    assert shown.count(PAYLOAD_TAB) == 1, shown
    assert len(shown) > 1
    # Nor on the next page of the same visit.
    page.goto(site_url + "celery/", wait_until="load")
    assert set(shown_tabs(page)) == {"Code"}
    traffic.assert_clean()
