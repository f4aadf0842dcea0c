"""harness/payload_files.py: what the "What Sentry receives" panels show; how drift is caught."""

from __future__ import annotations

import re
import sysconfig
import threading

import pytest
import sentry_sdk
from django.core.cache import cache

from harness import payload_files
from harness.payload_files import ROOT, UPDATE_HINT, check_payload, normalise, render, trim

REGENERATE = re.search(r"`([^`]+)`", UPDATE_HINT)[1]


@pytest.fixture
def payloads_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(payload_files, "PAYLOADS_DIR", tmp_path)
    return tmp_path


def test_ids_times_and_durations_become_placeholders():
    check_in = {
        "check_in_id": "10fb89d5dad64b5bb4c7f1e0711c7fba",
        "event_id": "09fae34a097545a1b46cdf454a982e17",
        "contexts": {"trace": {"trace_id": "fdea6504a5894dcd9d3241d9716ac911"}},
        "timestamp": "2026-11-29T11:39:11.577714Z",
        "duration": 0.0127,
        "release": "2723a7f414f53ac035cf0e124337b7d8d5a8925c",
        "server_name": "web-1",
        "monitor_slug": "hourly-fast-map-updates",
    }

    assert normalise(check_in) == {
        "check_in_id": "<check_in_id>",
        "event_id": "<event_id>",
        "contexts": {"trace": {"trace_id": "<trace_id>"}},
        "timestamp": "<timestamp>",
        "duration": "<duration>",
        "release": "<release>",
        "server_name": "<server_name>",
        "monitor_slug": "hourly-fast-map-updates",
    }


def test_an_absent_value_stays_absent():
    assert normalise({"duration": None, "parent_span_id": None}) == {
        "duration": None,
        "parent_span_id": None,
    }


def test_span_ids_threads_latency_and_task_ids_become_placeholders():
    span = {
        "span_id": "99431848a8b61a91",
        "parent_span_id": "962b47256084f7ba",
        "start_timestamp": "2026-11-29T11:39:11.674112Z",
        "data": {
            "thread.id": "139702635894464",
            "thread.name": "Thread-2 (start)",
            "messaging.message.id": "5ba3e89b-6fcb-4c9d-bfa5-8454cafba52d",
            "messaging.message.receive.latency": 95.41,
        },
        "description": "<Thread(Thread-7 (work), started daemon 139702635894464)>",
    }

    assert normalise(span) == {
        "span_id": "<span_id>",
        "parent_span_id": "<span_id>",
        "start_timestamp": "<timestamp>",
        "data": {
            "thread.id": "<thread_id>",
            "thread.name": "Thread-<n> (start)",
            "messaging.message.id": "<uuid>",
            "messaging.message.receive.latency": "<duration>",
        },
        "description": "<Thread(Thread-<n> (work), started daemon <thread_id>)>",
    }


def test_sdk_python_and_package_versions_become_placeholders():
    event = {
        "sdk": {
            "name": "sentry.python.django",
            "version": "2.75.0",
            "packages": [{"name": "pypi:sentry-sdk", "version": "2.75.0"}],
        },
        "contexts": {
            "runtime": {
                "name": "CPython",
                "version": "3.11.7",
                "build": "3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]",
            }
        },
        "modules": {"django": "5.2.8", "Sentry_SDK": "2.75.0", "mkdocs": "1.6.1"},
    }

    assert normalise(event) == {
        "sdk": {
            "name": "sentry.python.django",
            "version": "<version>",
            "packages": [{"name": "pypi:sentry-sdk", "version": "<version>"}],
        },
        "contexts": {
            "runtime": {"name": "CPython", "version": "<version>", "build": "<python_build>"}
        },
        # Only the app's own dependencies: the docs tooling is not part of what the app sends.
        "modules": {"Sentry_SDK": "<version>", "django": "<version>"},
    }


def test_absolute_paths_become_relative():
    site_packages = sysconfig.get_paths()["purelib"]
    stdlib = sysconfig.get_paths()["stdlib"]
    frames = [
        {"abs_path": f"{ROOT}/snippets/errors/capture_exception.py"},
        {"abs_path": f"{site_packages}/django/core/handlers/exception.py"},
        {"abs_path": f"{stdlib}/threading.py"},
        {"vars": {"path": f"'{ROOT}/example_app/manage.py'"}},
    ]

    assert normalise(frames) == [
        {"abs_path": "snippets/errors/capture_exception.py"},
        {"abs_path": "site-packages/django/core/handlers/exception.py"},
        {"abs_path": "<stdlib>/threading.py"},
        {"vars": {"path": "'example_app/manage.py'"}},
    ]


def test_memory_addresses_command_line_and_loopback_ports_become_placeholders():
    event = {
        "extra": {"sys.argv": ["/work/main/.venv/bin/pytest", "-k", "errors"]},
        "vars": {"self": "<WSGIHandler object at 0x7f0f0f809690>"},
        "spans": [
            {"data": {"server.address": "127.0.0.1", "server.port": 39137}},
            {"description": "connect redis://127.0.0.1:39137/0"},
        ],
        "request": {"env": {"SERVER_NAME": "testserver", "SERVER_PORT": "80"}},
    }

    assert normalise(event) == {
        "extra": {"sys.argv": ["<argv>"]},
        "vars": {"self": "<WSGIHandler object at 0x<address>>"},
        "spans": [
            {"data": {"server.address": "127.0.0.1", "server.port": "<port>"}},
            {"description": "connect redis://127.0.0.1:<port>/0"},
        ],
        # The WSGI client's default port is not a server's and is shown as it is.
        "request": {"env": {"SERVER_NAME": "testserver", "SERVER_PORT": "80"}},
    }


def test_two_recordings_of_the_same_code_render_identically(sentry_init, recorder, redis_url):
    sentry_init(traces_sample_rate=1.0)

    def fetch_cached_map():
        with sentry_sdk.start_transaction(op="task", name="fetch cached map"):
            cache.set("participants-map", {"points": 3})
            cache.get("participants-map")
            try:
                {}["missing"]
            except KeyError:
                sentry_sdk.capture_exception()

    for _ in range(2):
        thread = threading.Thread(target=fetch_cached_map)
        thread.start()
        thread.join()

    first_error, second_error = recorder.events()
    first_transaction, second_transaction = recorder.transactions()
    assert first_error["event_id"] != second_error["event_id"]
    assert first_transaction["spans"][0]["span_id"] != second_transaction["spans"][0]["span_id"]
    assert {s["op"] for s in first_transaction["spans"]} == {"db.redis"}
    assert render(first_error) == render(second_error)
    assert render(first_transaction) == render(second_transaction)


def test_trim_keeps_only_the_named_paths():
    transaction = {
        "transaction": "/api/fasts/{fast_id}/participants/map/",
        "contexts": {"trace": {"op": "http.server", "status": "ok"}},
        "spans": [
            {"op": "db", "description": "SELECT 1", "data": {"db.system": "sqlite"}},
            {"op": "map.build", "description": "Build participants map", "data": {"points": 2}},
        ],
    }

    assert trim(transaction, "contexts.trace.op", "spans[].op", "spans[].data.db.system") == {
        "contexts": {"trace": {"op": "http.server"}},
        "spans": [{"op": "db", "data": {"db.system": "sqlite"}}, {"op": "map.build"}],
    }
    assert trim(transaction, "spans[]") == {"spans": transaction["spans"]}


def test_trim_refuses_a_path_that_matches_nothing():
    with pytest.raises(KeyError, match=re.escape("'exception.values[].mechanisms'")):
        trim({"exception": {"values": [{"mechanism": {}}]}}, "exception.values[].mechanisms")


def test_a_missing_payload_file_fails_and_names_the_command(payloads_dir):
    with pytest.raises(AssertionError) as failure:
        check_payload("testing/never_recorded", {"level": "error"}, update=False)

    assert "tests/payloads/testing/never_recorded.json" in str(failure.value)
    assert REGENERATE in str(failure.value)
    assert not (payloads_dir / "testing").exists()


def test_update_mode_writes_the_normalised_payload(payloads_dir):
    check_payload("testing/written", {"event_id": "48919c0b098a43888f8e5f29af3552fe"}, update=True)

    written = payloads_dir / "testing" / "written.json"
    assert written.read_text() == '{\n  "event_id": "<event_id>"\n}\n'
    modified = written.stat().st_mtime_ns
    check_payload("testing/written", {"event_id": "6a3298d76ed14cf496ef3a4bb9bd5455"}, update=True)
    assert written.stat().st_mtime_ns == modified, "an unchanged payload must not be rewritten"
    check_payload("testing/written", {"event_id": "09fae34a097545a1b46cdf454a982e17"}, update=False)


def test_a_changed_tag_fails_with_a_diff_and_the_regeneration_command(
    payloads_dir, sentry_init, recorder
):
    sentry_init()
    sentry_sdk.set_tag("fast_id", "1")
    sentry_sdk.capture_message("map rebuilt")
    sentry_sdk.set_tag("fast_id", "2")
    sentry_sdk.capture_message("map rebuilt")
    as_recorded, as_sent_now = (trim(e, "message", "tags") for e in recorder.events())
    check_payload("testing/tagged", as_recorded, update=True)

    with pytest.raises(AssertionError) as drift:
        check_payload("testing/tagged", as_sent_now, update=False)

    message = str(drift.value)
    assert REGENERATE in message
    assert '-    "fast_id": "1"' in message
    assert '+    "fast_id": "2"' in message
    assert "--- recorded testing/tagged.json" in message


def test_the_regeneration_command_is_the_one_the_readme_documents():
    assert REGENERATE == "nox -s tests -- --update-payloads"
    assert f"`{REGENERATE}`" in (ROOT / "README.md").read_text()
