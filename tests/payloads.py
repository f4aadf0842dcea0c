"""Recorded payloads shown on the site: trimmed, normalised, and checked for drift.

A test calls `assert_payload("errors/capture_exception", trimmed)`. The first time, and
whenever the payload changes on purpose, run `nox -s tests -- --update-payloads` to (re)write
`tests/payloads/<name>.json`; on every other run a difference fails the test with a diff.
"""

from __future__ import annotations

import difflib
import json
import re
import sysconfig
import tempfile
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
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
