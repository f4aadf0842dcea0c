"""Trace pictures: timings kept beside payloads (harness/payload_files.py) and the waterfalls the
site draws from them when it is built (docs_macros.trace_picture)."""

from __future__ import annotations

import functools
import html
import json
import re
import xml.etree.ElementTree as ET

import pytest

import docs_macros
from harness import payload_files
from harness.payload_files import PAYLOADS_DIR, check_payload, trace_timings, trim

T0 = 1_700_000_000.0


def at(seconds: float) -> str:
    """An ISO timestamp as the SDK writes them, `seconds` after T0."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(T0 + seconds, UTC).isoformat().replace("+00:00", "Z")


def span(span_id, parent, op, description, start, end, status=None):
    return {
        "span_id": span_id,
        "parent_span_id": parent,
        "op": op,
        "description": description,
        "start_timestamp": at(start),
        "timestamp": at(end),
        **({"status": status} if status else {}),
    }


def transaction(name, op, span_id, start, end, spans, trace_id="a" * 32, parent=None):
    return {
        "type": "transaction",
        "transaction": name,
        "start_timestamp": at(start),
        "timestamp": at(end),
        "contexts": {
            "trace": {
                "op": op,
                "span_id": span_id,
                "parent_span_id": parent,
                "trace_id": trace_id,
                "status": "ok",
            }
        },
        "spans": spans,
    }


REQUEST = transaction(
    "/fasts/{fast_id}/join/",
    "http.server",
    "1" * 16,
    0.0,
    0.1,
    [
        span("2" * 16, "1" * 16, "db", "SELECT 1", 0.010, 0.020),
        span("3" * 16, "1" * 16, "queue.submit.celery", "send_email", 0.030, 0.090),
        span("4" * 16, "3" * 16, "queue.publish", "send_email", 0.040, 0.080),
        span("5" * 16, "4" * 16, "db.redis", "LPUSH 'celery'", 0.050, 0.0601),
    ],
)
TASK = transaction("send_email", "queue.task.celery", "6" * 16, 0.12, 0.125, [], parent="4" * 16)


def test_timings_of_the_spans_a_payload_shows_nested_by_their_shown_parents():
    shown = {
        # The db span and the publish span are left out of the payload.
        "request": trim(
            {**REQUEST, "spans": [REQUEST["spans"][1], REQUEST["spans"][3]]},
            "transaction",
            "spans[].op",
        ),
        "task": trim(TASK, "transaction", "contexts.trace.op"),
    }

    (trace,) = trace_timings(shown, [TASK, REQUEST])

    request, task = trace
    assert (request["transaction"], request["start_ms"], request["duration_ms"]) == (
        "/fasts/{fast_id}/join/",
        0.0,
        100.0,
    )
    submit, lpush = request["spans"]
    assert (submit["op"], submit["parent"], submit["start_ms"], submit["duration_ms"]) == (
        "queue.submit.celery",
        [0, None],
        30.0,
        60.0,
    )
    # Its real parent, the publish span, is not shown: the nearest shown ancestor is.
    assert (lpush["parent"], lpush["start_ms"], lpush["duration_ms"]) == ([0, 0], 50.0, 10.1)
    # The task continues the trace from the (hidden) publish span: under the submit span.
    assert (task["parent"], task["start_ms"], task["duration_ms"]) == ([0, 0], 120.0, 5.0)


def test_separate_traces_get_separate_pictures_and_errors_none():
    other = transaction("nightly", "task", "7" * 16, 1.0, 1.5, [], trace_id="b" * 32)
    error = {"transaction": "/fasts/{fast_id}/join/", "exception": {"values": []}}

    traces = trace_timings(
        [trim(REQUEST, "transaction"), trim(other, "transaction"), error], [REQUEST, other]
    )

    assert [[t["transaction"] for t in trace] for trace in traces] == [
        ["/fasts/{fast_id}/join/"],
        ["nightly"],
    ]
    assert traces[1][0]["start_ms"] == 0.0  # each trace on its own axis


def test_a_list_of_spans_is_found_in_its_transaction():
    (trace,) = trace_timings(trim(REQUEST, "spans[].op")["spans"][2:], [REQUEST])

    assert [s["op"] for s in trace[0]["spans"]] == ["queue.publish", "db.redis"]


@pytest.fixture
def payloads_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(payload_files, "PAYLOADS_DIR", tmp_path)
    return tmp_path


def test_timings_are_written_with_the_payload_and_checked_by_shape_only(payloads_dir, monkeypatch):
    shown = trim(REQUEST, "transaction", "spans[].op")
    monkeypatch.setattr(payload_files, "raw_transactions", lambda: [REQUEST])
    check_payload("page/request", shown, update=True)
    written = json.loads((payloads_dir / "page" / "request.timings.json").read_text())
    assert written["traces"][0][0]["duration_ms"] == 100.0
    assert "CPUs" in written["measured_on"]

    # A slower run: the same shape, other numbers. Not a drift.
    slower = {**REQUEST, "timestamp": at(0.3)}
    monkeypatch.setattr(payload_files, "raw_transactions", lambda: [slower])
    check_payload("page/request", shown, update=False)

    # The same payload text, but LPUSH moved out of the publish span: the picture changes.
    lpush = {**REQUEST["spans"][3], "parent_span_id": "1" * 16}
    moved = {**REQUEST, "spans": [*REQUEST["spans"][:3], lpush]}
    monkeypatch.setattr(payload_files, "raw_transactions", lambda: [moved])
    with pytest.raises(AssertionError, match="changed shape"):
        check_payload("page/request", shown, update=False)


def test_missing_or_stale_timings_fail(payloads_dir, monkeypatch):
    shown = trim(REQUEST, "transaction")
    (payloads_dir / "page").mkdir()
    (payloads_dir / "page" / "request.json").write_text(payload_files.render(shown))
    monkeypatch.setattr(payload_files, "raw_transactions", lambda: [REQUEST])
    with pytest.raises(AssertionError, match="No timings for the trace picture"):
        check_payload("page/request", shown, update=False)

    (payloads_dir / "page" / "event.json").write_text(payload_files.render({"level": "error"}))
    (payloads_dir / "page" / "event.timings.json").write_text("{}")
    with pytest.raises(AssertionError, match="stale"):
        check_payload("page/event", {"level": "error"}, update=False)


def recorded_timings() -> list[str]:
    return sorted(
        str(path.relative_to(PAYLOADS_DIR)).removesuffix(".timings.json")
        for path in PAYLOADS_DIR.rglob("*.timings.json")
    )


def svg_elements(picture: str) -> list[ET.Element]:
    return [
        ET.fromstring(svg)
        for svg in re.findall(r"<svg.*?</svg>", re.sub(r' xmlns="[^"]+"', "", picture))
    ]


@pytest.mark.parametrize("name", recorded_timings())
def test_every_recorded_trace_is_drawn_to_scale_with_a_text_alternative(name):
    recorded = json.loads((PAYLOADS_DIR / f"{name}.timings.json").read_text())

    picture = docs_macros.trace_picture(name)

    assert "\n" not in picture  # one line: it sits in a Markdown tab
    assert recorded["measured_on"] in html.unescape(picture)  # says where it was measured
    svgs = svg_elements(picture)
    assert len(svgs) == len(recorded["traces"])
    for svg, trace in zip(svgs, recorded["traces"], strict=True):
        title_id, desc_id = svg.get("aria-labelledby").split()
        assert svg.find("title").get("id") == title_id and svg.find("title").text
        assert svg.find("desc").get("id") == desc_id
        rows = [*trace] + [s for t in trace for s in t["spans"]]
        assert len(svg.findall("g")) == len(rows)
        # Bars are the recorded durations on one scale: no invented lengths.
        total = max(r["start_ms"] + r["duration_ms"] for r in rows) or 1.0
        scale = (docs_macros.BAR_END - docs_macros.LABELS) / total
        widths = sorted(float(rect.get("width")) for rect in svg.iter("rect"))
        expected = sorted(max(r["duration_ms"] * scale, 1.5) for r in rows)
        assert widths == pytest.approx(expected, abs=0.06)


@functools.cache
def site_markdown():
    """Markdown with the site's extensions, as mkdocs.yml configures them."""
    import markdown
    from mkdocs.config import load_config

    config = load_config(str(docs_macros.ROOT / "mkdocs.yml"))
    return markdown.Markdown(
        extensions=config.markdown_extensions, extension_configs=config.mdx_configs
    )


@pytest.mark.parametrize("name", recorded_timings())
def test_markdown_leaves_every_trace_picture_as_drawn(name):
    # The macro's line is a paragraph of a Markdown tab: `COUNT(*)` twice made an <em> that
    # broke out of the SVG in the browser, and the rest of the page went into a <rect>.
    picture = docs_macros.trace_picture(name)

    assert site_markdown().convert(picture) == f"<p>{picture}</p>"


def test_a_duration_on_its_bar_stays_clear_of_the_bars_outline():
    # A failed bar has a 2-unit dashed outline (1 inside the bar); an underscore of 11 px text
    # reaches 2.5 below its baseline.
    picture = docs_macros.trace_picture("errors/client_errors")
    rows = [row for svg in svg_elements(picture) for row in svg.iter("g")]
    on_bars = [(row.find("rect"), row.find("text[@class='duration inside']")) for row in rows]
    on_bars = [(rect, text) for rect, text in on_bars if text is not None]
    assert on_bars, "this recording's failed transaction has its duration on its bar"
    for rect, text in on_bars:
        bottom = float(rect.get("y")) + float(rect.get("height"))
        assert float(text.get("y")) + 2.5 <= bottom - 1, (text.text, text.get("y"), bottom)


def test_a_long_label_keeps_what_tells_its_span_apart():
    # A task's or a middleware's dotted name keeps its end; anything else its start.
    task = "queue.process snippets.celery.retrying_task.send_reminder"
    assert docs_macros._short(task, 30) == "queue.process …send_reminder"
    assert docs_macros._short(task, 44) == "queue.process …retrying_task.send_reminder"
    assert docs_macros._short("hub.tasks.update_fast_maps", 20) == "…update_fast_maps"
    # Without room for the op and the last two parts, the parts go first.
    middleware = "middleware.django django.contrib.sessions.middleware.SessionMiddleware.__call__"
    assert docs_macros._short(middleware, 35) == "…SessionMiddleware.__call__"
    assert docs_macros._short(middleware, 50) == "middleware.django …SessionMiddleware.__call__"
    sql = 'db SELECT "hub_fast"."id" FROM "hub_fast"'
    assert docs_macros._short(sql, 12) == 'db SELECT "…'
    assert docs_macros._short(task, len(task)) == task


def test_a_payload_without_timings_cannot_be_drawn():
    with pytest.raises(ValueError, match="No timings to draw"):
        docs_macros.trace_picture("errors/no_such_payload")
