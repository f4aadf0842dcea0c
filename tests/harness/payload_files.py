"""Recorded payloads shown on the site: trimmed, normalised, and checked for drift.

A test calls `assert_payload("errors/capture_exception", trimmed)`. The first time, and
whenever the payload changes on purpose, run `nox -s tests -- --update-payloads` to (re)write
`tests/payloads/<name>.json`; on every other run a difference fails the test with a diff.
"""

from __future__ import annotations

import difflib
import json
import os
import platform
import re
import sysconfig
import tempfile
import tomllib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS_DIR = ROOT / "tests" / "payloads"
UPDATE_HINT = "run `nox -s tests -- --update-payloads` to record it"

_PLACEHOLDERS = {
    "event_id": "<event_id>",
    "trace_id": "<trace_id>",
    "span_id": "<span_id>",
    "parent_span_id": "<span_id>",
    "check_in_id": "<check_in_id>",
    "timestamp": "<timestamp>",
    "start_timestamp": "<timestamp>",
    "duration": "<duration>",
    "exclusive_time": "<duration>",
    "messaging.message.receive.latency": "<duration>",
    "thread.id": "<thread_id>",
    "thread_id": "<thread_id>",
    "release": "<release>",
    "sample_rand": "<sample_rand>",
    "version": "<version>",
    "server_name": "<server_name>",
    "sent_at": "<timestamp>",
}
# Placeholders that depend on where a value sits, not only on its key.
_PATH_PLACEHOLDERS = {
    ("contexts", "runtime", "build"): "<python_build>",
    ("contexts", "runtime", "raw_description"): "<python_build>",
    ("extra", "sys.argv"): ["<argv>"],
}
# Ports of the loopback servers tests start (Redis, the ingest endpoint) are chosen at random;
# 80 and 443 are the WSGI client's defaults, not servers, and stay.
_PORT_KEY = re.compile(r"(^|[._])port$", re.IGNORECASE)
_KEPT_PORTS = {80, 443, "80", "443"}
_HEX_ID = re.compile(r"\b[0-9a-f]{16,32}\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_MEMORY_ADDRESS = re.compile(r"0x[0-9a-f]{6,16}")
_LOOPBACK_PORT = re.compile(r"\b(127\.0\.0\.1|localhost|\[::1\]):\d+")
_THREAD_NAME = re.compile(r"\bThread-\d+")
_THREAD_IDENT = re.compile(r"\b(started(?: daemon)?) \d+")


def _path_prefixes() -> list[tuple[str, str]]:
    """Absolute directories of this machine, longest first, and what they become."""
    paths = sysconfig.get_paths()
    prefixes = {
        paths["purelib"]: "site-packages",
        paths["platlib"]: "site-packages",
        paths["stdlib"]: "<stdlib>",
        paths["platstdlib"]: "<stdlib>",
        str(ROOT): "",
        tempfile.gettempdir(): "<tmp>",
    }
    return sorted(prefixes.items(), key=lambda item: len(item[0]), reverse=True)


def _project_dependencies() -> set[str]:
    """The example app's own dependencies (pyproject's [project] table), normalised names."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        requirements = tomllib.load(file)["project"]["dependencies"]
    return {_distribution_name(re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0]) for r in requirements}


def _distribution_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_PREFIXES = _path_prefixes()
_APP_DEPENDENCIES = _project_dependencies()


def normalise(value: Any) -> Any:
    """Replace what changes from run to run or machine to machine by placeholders.

    Ids, timestamps, durations, thread ids and names, release, SDK and Python versions,
    memory addresses, ports of loopback servers, absolute paths (made relative to the
    repository, site-packages or the standard library) and the command line. `modules` keeps
    the app's own dependencies only (the rest differs between the tests, docs and developer
    environments), each with its version replaced.
    """
    return _normalise(value, ())


def _normalise(value: Any, path: tuple[str, ...]) -> Any:
    key = path[-1] if path else None
    if value is None:
        return None
    if path in _PATH_PLACEHOLDERS:
        return _PATH_PLACEHOLDERS[path]
    if path == ("modules",) and isinstance(value, dict):
        return {
            name: "<version>"
            for name in sorted(value)
            if _distribution_name(name) in _APP_DEPENDENCIES
        }
    if isinstance(value, dict):
        return {k: _normalise(v, (*path, k)) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_normalise(v, path) for v in value]
    if key in _PLACEHOLDERS:
        return _PLACEHOLDERS[key]
    if key and _PORT_KEY.search(key) and value not in _KEPT_PORTS:
        return "<port>"
    if isinstance(value, str):
        return _normalise_text(value)
    return value


def _normalise_text(text: str) -> str:
    for prefix, replacement in _PREFIXES:
        text = text.replace(prefix + "/", f"{replacement}/" if replacement else "")
    text = _UUID.sub("<uuid>", text)
    text = _HEX_ID.sub("<id>", text)
    text = _MEMORY_ADDRESS.sub("0x<address>", text)
    text = _LOOPBACK_PORT.sub(r"\1:<port>", text)
    text = _THREAD_NAME.sub("Thread-<n>", text)
    return _THREAD_IDENT.sub(r"\1 <thread_id>", text)


def trim(payload: dict[str, Any], *paths: str) -> dict[str, Any]:
    """Keep only the given dotted paths; `spans[].op` keeps `op` of every span.

    Keys that contain dots are found too: `spans[].data.db.system` reads `data["db.system"]`.
    A path that matches nothing raises KeyError, so a typo cannot silently empty a panel.
    """
    result: dict[str, Any] = {}
    for path in paths:
        if not _copy_path(payload, result, path.split(".")):
            raise KeyError(f"{path!r} matches nothing in the payload")
    return result


def _split_key(source: Any, parts: list[str]) -> tuple[str, bool, list[str]] | None:
    """The longest run of `parts` that names a key of `source`: (key, is_list, rest)."""
    if not isinstance(source, dict):
        return None
    for size in range(len(parts), 0, -1):
        head = ".".join(parts[:size])
        is_list = head.endswith("[]")
        key = head[:-2] if is_list else head
        if key in source:
            return key, is_list, parts[size:]
    return None


def _copy_path(source: Any, target: dict[str, Any], parts: list[str]) -> bool:
    """Copy what `parts` names from source into target; return whether anything matched."""
    found = _split_key(source, parts)
    if found is None:
        return False
    key, is_list, rest = found
    value = source[key]
    if is_list:
        if not isinstance(value, list):
            return False
        if not rest:
            target[key] = value
            return True
        existing = target.setdefault(key, [{} for _ in value])
        copied = [_copy_path(item, out, rest) for item, out in zip(value, existing, strict=True)]
        return any(copied)
    if not rest:
        target[key] = value
        return True
    child = target.get(key, {})
    if not _copy_path(value, child, rest):
        return False
    target[key] = child
    return True


def render(payload: Any) -> str:
    return json.dumps(normalise(payload), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def check_payload(name: str, payload: Any, *, update: bool) -> None:
    _check_payload_text(name, payload, update=update)
    _check_timings(name, payload, update=update)


def _check_payload_text(name: str, payload: Any, *, update: bool) -> None:
    path = PAYLOADS_DIR / f"{name}.json"
    text = render(payload)
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        return
    if not path.exists():
        raise AssertionError(f"No recorded payload tests/payloads/{name}.json: {UPDATE_HINT}.")
    recorded = path.read_text()
    if recorded != text:
        diff = "".join(
            difflib.unified_diff(
                recorded.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"recorded {name}.json",
                tofile="sent now",
            )
        )
        raise AssertionError(
            f"Payload {name} drifted from what the page shows ({UPDATE_HINT}):\n{diff}"
        )


# The trace pictures. A payload shows normalised timestamps and durations, so that it can be
# compared from run to run; its picture needs the real offsets and durations. They are kept
# beside the payload (<name>.timings.json), rounded to 0.1 ms, written only with
# --update-payloads, and compared by shape only (which transactions and spans, nested how),
# never by value, so a drift check cannot fail on a slower run.

# The raw transactions the running test recorded: tests/conftest.py points this at the
# test's `recorder` and `sentry_endpoint`.
raw_transactions: Callable[[], list[dict[str, Any]]] = list
raw_error_events: Callable[[], list[dict[str, Any]]] = list
_NOT_A_TRANSACTION = {"exception", "level", "logentry", "message", "check_in_id"}
_TIMES = {"start_ms", "duration_ms"}


def timings_path(name: str) -> Path:
    return PAYLOADS_DIR / f"{name}.timings.json"


def trace_timings(
    payload: Any, transactions: list[dict[str, Any]], error_events: list[dict[str, Any]] = ()
) -> list[list[dict]]:
    """The transactions a trimmed payload shows, found among the raw ones, with the spans it
    shows: real offsets and durations in ms, grouped by trace, in the order they started.

    A trimmed error event can look like its request's transaction (both carry its name and
    tags): what an error event of the test shows is not a transaction."""
    full = [normalise(transaction) for transaction in transactions]
    errors = [normalise(event) for event in error_events]
    found: dict[int, list[int]] = {}

    def visit(node: Any) -> None:
        if isinstance(node, list):
            if node and all(isinstance(item, dict) and "op" in item for item in node):
                # A list of spans, shown without their transaction.
                shown_spans = normalise(node)
                for index, candidate in enumerate(full):
                    spans = _subsequence(shown_spans, candidate.get("spans", []))
                    if index not in found and spans is not None:
                        found[index] = spans
                        return
            for item in node:
                visit(item)
        if not isinstance(node, dict):
            return
        if ("transaction" in node or "spans" in node) and not node.keys() & _NOT_A_TRANSACTION:
            # Normalised as the page shows it, as if it were a whole payload.
            shown = normalise(node)
            if any(_shows(shown, error) for error in errors):
                return
            for index, candidate in enumerate(full):
                if index not in found and _shows(shown, candidate):
                    found[index] = _subsequence(shown.get("spans", []), candidate.get("spans", []))
                    return
        for value in node.values():
            visit(value)

    visit(payload)
    traces: dict[str, list[dict[str, Any]]] = {}
    for index in sorted(found, key=lambda i: _seconds(transactions[i]["start_timestamp"])):
        transaction = transactions[index]
        traces.setdefault(transaction["contexts"]["trace"]["trace_id"], []).append(
            {"raw": transaction, "spans": found[index]}
        )
    return [_trace_timing(shown) for shown in traces.values()]


def _trace_timing(shown: list[dict[str, Any]]) -> list[dict]:
    origin = min(_seconds(item["raw"]["start_timestamp"]) for item in shown)
    # Which shown span (transaction index, span index) each raw span id is.
    shown_ids: dict[str, tuple[int, int | None]] = {}
    for t_index, item in enumerate(shown):
        raw = item["raw"]
        shown_ids[raw["contexts"]["trace"]["span_id"]] = (t_index, None)
        for s_index, span_index in enumerate(item["spans"]):
            shown_ids[raw["spans"][span_index]["span_id"]] = (t_index, s_index)
    parents = {
        span["span_id"]: span.get("parent_span_id")
        for item in shown
        for span in item["raw"].get("spans", [])
    }

    def shown_parent(parent_id: str | None) -> tuple[int, int | None] | None:
        while parent_id is not None and parent_id not in shown_ids:
            parent_id = parents.get(parent_id)
        return shown_ids.get(parent_id) if parent_id else None

    timing = []
    for item in shown:
        raw = item["raw"]
        trace = raw["contexts"]["trace"]
        spans = [raw["spans"][i] for i in item["spans"]]
        timing.append(
            {
                "transaction": _normalise_text(raw["transaction"]),
                "op": trace.get("op"),
                "status": trace.get("status"),
                "parent": _as_list(shown_parent(trace.get("parent_span_id"))),
                **_times(raw, origin),
                "spans": [
                    {
                        "op": span.get("op"),
                        "description": _normalise_text(span.get("description") or ""),
                        "status": span.get("status"),
                        "parent": _as_list(shown_parent(span.get("parent_span_id"))),
                        **_times(span, origin),
                    }
                    for span in spans
                ],
            }
        )
    return timing


def _as_list(parent: tuple[int, int | None] | None) -> list | None:
    return list(parent) if parent else None


def _times(item: dict[str, Any], origin: float) -> dict[str, float]:
    start, end = _seconds(item["start_timestamp"]), _seconds(item["timestamp"])
    return {
        "start_ms": round((start - origin) * 1000, 1),
        "duration_ms": round((end - start) * 1000, 1),
    }


def _seconds(timestamp: str | float) -> float:
    if isinstance(timestamp, int | float):
        return float(timestamp)
    return datetime.fromisoformat(timestamp).timestamp()


def _shows(trimmed: Any, full: Any) -> bool:
    """Whether a trimmed (normalised) payload is part of a full one."""
    if isinstance(trimmed, dict):
        return isinstance(full, dict) and all(
            _shows(value, _lookup(full, key.split("."))) for key, value in trimmed.items()
        )
    if isinstance(trimmed, list):
        return isinstance(full, list) and _subsequence(trimmed, full) is not None
    return trimmed == full


_ABSENT = object()


def _lookup(full: dict, parts: list[str]) -> Any:
    """full["a.b"] or full["a"]["b"]: payloads may flatten keys, as in "data.cache.hit"."""
    for size in range(len(parts), 0, -1):
        head = ".".join(parts[:size])
        if head in full:
            rest = parts[size:]
            if not rest:
                return full[head]
            if isinstance(full[head], dict):
                return _lookup(full[head], rest)
    return _ABSENT


def _subsequence(trimmed: list, full: list) -> list[int] | None:
    """The indices in `full` of the items `trimmed` shows, in order, or None."""
    indices, start = [], 0
    for item in trimmed:
        index = next((i for i in range(start, len(full)) if _shows(item, full[i])), None)
        if index is None:
            return None
        indices.append(index)
        start = index + 1
    return indices


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if k not in _TIMES}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return value


def _check_timings(name: str, payload: Any, *, update: bool) -> None:
    traces = trace_timings(payload, raw_transactions(), raw_error_events())
    path = timings_path(name)
    if update:
        if traces:
            recorded = {
                "measured_on": f"{os.cpu_count()} CPUs, {platform.system()} "
                f"{platform.machine()}, Python {platform.python_version()}",
                "traces": traces,
            }
            path.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")
        elif path.exists():
            path.unlink()
        return
    if not traces:
        if path.exists():
            raise AssertionError(
                f"tests/payloads/{name}.timings.json is stale: the payload shows no "
                f"transaction of this test ({UPDATE_HINT})."
            )
        return
    if not path.exists():
        raise AssertionError(
            f"No timings for the trace picture of {name} ({UPDATE_HINT}, which writes "
            f"tests/payloads/{name}.timings.json beside the payload)."
        )
    recorded = json.loads(path.read_text())["traces"]
    if _shape(recorded) != _shape(traces):
        diff = "".join(
            difflib.unified_diff(
                json.dumps(_shape(recorded), indent=1).splitlines(keepends=True),
                json.dumps(_shape(traces), indent=1).splitlines(keepends=True),
                fromfile=f"recorded {name}.timings.json",
                tofile="recorded now",
            )
        )
        raise AssertionError(f"The trace of {name} changed shape ({UPDATE_HINT}):\n{diff}")
