"""Values computed when the site is built (mkdocs-macros), for pages with `render_macros: true`."""

from __future__ import annotations

import html
import json
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
    env.macro(trace_picture)


# Trace pictures: a waterfall per trace, drawn from the timings a test recorded beside a payload
# (tests/payloads/<name>.timings.json, written by harness/payload_files.py), as Sentry's trace view
# draws a trace. Inline SVG, no script, no network.
PAYLOADS = ROOT / "tests" / "payloads"
WIDTH, LABELS, ROW, AXIS, INDENT = 760, 330, 22, 30, 12
BAR_END = WIDTH - 60  # room for the duration after the longest bar
CHAR = 6.6  # width of a character of the labels, in the SVG's units (11 px monospace)


def trace_picture(name: str) -> str:
    """The trace pictures of one recorded payload, as one line of HTML."""
    path = PAYLOADS / f"{name}.timings.json"
    if not path.is_file():
        raise ValueError(f"No timings to draw {name}: {path} is missing (--update-payloads)")
    recorded = json.loads(path.read_text())
    if not recorded["traces"]:
        raise ValueError(f"{path} holds no trace to draw")
    pictures = [
        _waterfall(f"{name}-{number}", trace) for number, trace in enumerate(recorded["traces"])
    ]
    caption = (
        "Real offsets and durations of the test run that recorded this payload, measured on "
        f"the machine that ran it ({_text(recorded['measured_on'])}), under test load: "
        "read the shape and the proportions, not the milliseconds."
    )
    # Inline elements only: inside a Markdown tab the line becomes a paragraph's content.
    return (
        '<span class="trace-picture">'
        + "".join(pictures)
        + f'<span class="trace-caption">{caption}</span></span>'
    )


# Markdown reads the macro's line as a paragraph: these would become <em>, <code> or links, which
# break out of an inline SVG. As character references they stay text.
_MARKDOWN_SYNTAX = {ord(c): f"&#{ord(c)};" for c in "*_`[]\\{}!"}


def _text(value: str) -> str:
    """`value` as text in the SVG, escaped for HTML and out of Markdown's reach."""
    return html.escape(value).translate(_MARKDOWN_SYNTAX)


def _rows(trace: list[dict]) -> list[dict]:
    """Transactions and spans in drawing order, each with its depth."""
    depth: dict[tuple[int, int | None], int] = {}
    rows = []
    for t_index, transaction in enumerate(trace):
        parent = transaction["parent"]
        own = depth[tuple(parent)] + 1 if parent and tuple(parent) in depth else 0
        depth[(t_index, None)] = own
        rows.append({**transaction, "kind": "transaction", "depth": own})
        for s_index, span in enumerate(transaction["spans"]):
            parent = tuple(span["parent"]) if span["parent"] else (t_index, None)
            depth[(t_index, s_index)] = depth.get(parent, own) + 1
            rows.append({**span, "kind": "span", "depth": depth[(t_index, s_index)]})
    return rows


def _kind(row: dict) -> str:
    if row["kind"] == "transaction":
        return "transaction"
    op = row["op"] or ""
    for prefix, kind in (("db.redis", "redis"), ("cache", "redis"), ("db", "db")):
        if op.startswith(prefix):
            return kind
    return "queue" if op.startswith("queue") else "span"


def _label(row: dict) -> str:
    if row["kind"] == "transaction":
        return row["transaction"]
    description = row["description"]
    return f"{row['op']} {description}" if description else row["op"]


def _short(text: str, room: int) -> str:
    """`text` in `room` characters. A dotted name (a task, a middleware) keeps its op and its
    last parts, which tell its spans apart (`queue.process …retrying_task.send_reminder`); with
    no room for both, the last part and the op, unless that part is a dunder: then the parts
    (`…SessionMiddleware.__call__`)."""
    if len(text) <= room:
        return text
    head, _, last = text.rpartition(" ")
    *parents, name = last.split(".")

    def tail(prefix: str, least: int) -> str | None:
        """prefix, then as many last parts as fit, at least `least` of them."""
        kept = [name]
        for part in reversed(parents):
            if len(prefix) + len(".".join([part, *kept])) > room:
                break
            kept.insert(0, part)
        fits = len(kept) >= least and len(prefix) + len(".".join(kept)) <= room
        return prefix + ".".join(kept) if fits else None

    if parents:
        op = f"{head} …" if head else "…"
        # A dunder such as __call__ tells nothing apart: the class before it does.
        generic = name.startswith("__") and name.endswith("__")
        shortened = tail(op, 2) or (not generic and tail(op, 1)) or tail("…", 2) or tail(op, 1)
        if shortened:
            return shortened
    return text[: room - 1] + "…"


def _tick_step(total: float) -> float:
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if total / step <= 6:
            return step
    return 10_000


def _ms(value: float) -> str:
    if value == 0:
        return "0 ms"
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def _duration(row: dict, failed: bool, x: float, width: float, y: int) -> str:
    """The duration (and a failed status) after the bar; where it does not fit there, on the
    bar, or else before it. Never across the labels, the bar's edge or the picture's."""
    duration = row["duration_ms"]
    text = (_ms(duration) if duration else "< 0.1 ms") + (f", {row['status']}" if failed else "")
    room = len(text) * CHAR
    if x + width + 4 + room <= WIDTH:
        where, inside = f'x="{x + width + 4:.1f}"', ""
    elif room + 8 <= width:  # on the bar, at its end, in the page's colour
        where, inside = f'x="{x + width - 4:.1f}" text-anchor="end"', " inside"
    elif x - 4 - room >= LABELS:
        where, inside = f'x="{x - 4:.1f}" text-anchor="end"', ""
    else:
        raise ValueError(f"No room for {text!r} beside or on its bar")
    # On a bar, the baseline is a pixel higher: an underscore (internal_error) would sit on the
    # dashed outline of a failed bar, in the same dark colour, and vanish.
    baseline = y + 14 if inside else y + 15
    return f'<text class="duration{inside}" {where} y="{baseline}">{_text(text)}</text>'


def _waterfall(ident: str, trace: list[dict]) -> str:
    rows = _rows(trace)
    total = max(row["start_ms"] + row["duration_ms"] for row in rows) or 1.0
    scale = (BAR_END - LABELS) / total
    height = AXIS + ROW * len(rows) + 6
    ident = "trace-" + "".join(c if c.isalnum() else "-" for c in ident)
    root = trace[0]
    spans = sum(len(t["spans"]) for t in trace)
    title = (
        f"Trace of {root['transaction']}: {len(trace)} transaction"
        f"{'s' if len(trace) > 1 else ''} and {spans} span{'' if spans == 1 else 's'} "
        f"over {_ms(total)}"
    )
    description = "; ".join(
        f"{_label(row)} starts at {_ms(row['start_ms'])} and lasts "
        f"{_ms(row['duration_ms'])}"
        + (f", status {row['status']}" if row["status"] not in (None, "ok") else "")
        for row in rows
    )
    parts = [
        f'<svg class="trace-waterfall" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-title">{_text(title)}</title>',
        f'<desc id="{ident}-desc">{_text(description)}.</desc>',
    ]
    step = _tick_step(total)
    tick = 0.0
    while tick <= total + 1e-9:
        x = LABELS + tick * scale
        parts.append(
            f'<line class="tick" x1="{x:.1f}" y1="{AXIS - 6}" x2="{x:.1f}" y2="{height}"/>'
            f'<text class="axis" x="{x:.1f}" y="{AXIS - 10}">{_ms(tick)}</text>'
        )
        tick = round(tick + step, 6)
    for number, row in enumerate(rows):
        y = AXIS + ROW * number
        x = LABELS + row["start_ms"] * scale
        width = max(row["duration_ms"] * scale, 1.5)
        failed = row["status"] not in (None, "ok")
        room = int((LABELS - 12 - INDENT * row["depth"]) / CHAR)
        parts.append(
            f'<g class="row {_kind(row)}{" failed" if failed else ""}">'
            f"<title>{_text(_label(row))}: {_ms(row['duration_ms'])}</title>"
            f'<text class="label" x="{4 + INDENT * row["depth"]}" y="{y + 15}">'
            f"{_text(_short(_label(row), room))}</text>"
            f'<rect x="{x:.1f}" y="{y + 4}" width="{width:.1f}" height="{ROW - 8}" rx="2"/>'
            + _duration(row, failed, x, width, y)
            + "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)
