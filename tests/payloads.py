"""Recorded payloads shown on the site: trimmed, normalised, and checked for drift.

A test calls `assert_payload("errors/capture_exception", trimmed)`. The first time, and
whenever the payload changes on purpose, run `nox -s tests -- --update-payloads` to (re)write
`tests/payloads/<name>.json`; on every other run a difference fails the test with a diff.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

PAYLOADS_DIR = Path(__file__).parent / "payloads"
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
    "thread.id": "<thread_id>",
    "thread_id": "<thread_id>",
    "release": "<release>",
    "sample_rand": "<sample_rand>",
    "version": "<version>",
    "server_name": "<server_name>",
    "sent_at": "<timestamp>",
}
_HEX_ID = re.compile(r"\b[0-9a-f]{16,32}\b")
_MEMORY_ADDRESS = re.compile(r"0x[0-9a-f]{6,16}")


def normalise(value: Any, key: str | None = None) -> Any:
    """Replace what changes from run to run (ids, times, versions, addresses) by placeholders."""
    if key in _PLACEHOLDERS and value is not None and not isinstance(value, dict | list):
        return _PLACEHOLDERS[key]
    if isinstance(value, dict):
        return {k: normalise(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        value = _HEX_ID.sub("<id>", value)
        return _MEMORY_ADDRESS.sub("0x<address>", value)
    return value


def trim(payload: dict[str, Any], *paths: str) -> dict[str, Any]:
    """Keep only the given dotted paths; `spans[].op` keeps `op` of every span."""
    result: dict[str, Any] = {}
    for path in paths:
        _copy_path(payload, result, path.split("."))
    return result


def _copy_path(source: Any, target: dict[str, Any], parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        name = head[:-2]
        items = source.get(name) if isinstance(source, dict) else None
        if not isinstance(items, list):
            return
        existing = target.setdefault(name, [{} for _ in items])
        for item, out in zip(items, existing, strict=True):
            if rest:
                _copy_path(item, out, rest)
        return
    if not isinstance(source, dict) or head not in source:
        return
    if not rest:
        target[head] = source[head]
    else:
        _copy_path(source[head], target.setdefault(head, {}), rest)


def render(payload: Any) -> str:
    return json.dumps(normalise(payload), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def check_payload(name: str, payload: Any, *, update: bool) -> None:
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
