"""A Sentry transport that records envelopes instead of sending them.

Copy this module into your own project to test what your code sends to Sentry:

    recorder = RecordingTransport()
    sentry_sdk.init(dsn="https://public@sentry.example.invalid/1", transport=recorder)
    ...
    assert recorder.events()[0]["exception"]["values"][0]["type"] == "ZeroDivisionError"

Delivery to a custom transport is synchronous: an envelope is recorded by the time
`capture_exception`, a transaction's exit or a check-in returns. Work done in another
thread (a Celery worker) can be awaited with `wait_for`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

Payload = dict[str, Any]


class RecordingTransport(Transport):
    """Keeps every envelope the SDK sends, and reads them back as plain JSON."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[Envelope] = []
        self._changed = threading.Condition()

    def capture_envelope(self, envelope: Envelope) -> None:
        with self._changed:
            self.envelopes.append(envelope)
            self._changed.notify_all()

    def flush(self, timeout: float, callback: Any = None) -> None:
        """Nothing is queued: every envelope is recorded when it is sent."""

    def kill(self) -> None:
        """Nothing to stop."""

    def items(self, item_type: str | None = None) -> list[Payload]:
        """Every recorded item's payload, oldest first, optionally of one type only.

        Types include "event", "transaction", "check_in", "session" and "client_report".
        """
        with self._changed:
            envelopes = list(self.envelopes)
        return [
            json.loads(item.get_bytes())
            for envelope in envelopes
            for item in envelope.items
            if item_type is None or item.type == item_type
        ]

    def events(self) -> list[Payload]:
        """Error and message events."""
        return self.items("event")

    def transactions(self) -> list[Payload]:
        return self.items("transaction")

    def spans(self, op: str | None = None) -> list[Payload]:
        """The spans of every recorded transaction, optionally with one `op` only."""
        return [
            span
            for transaction in self.transactions()
            for span in transaction.get("spans", [])
            if op is None or span.get("op") == op
        ]

    def breadcrumbs(self) -> list[Payload]:
        """The breadcrumbs attached to recorded events."""
        return [
            crumb
            for event in self.events()
            for crumb in (event.get("breadcrumbs") or {}).get("values", [])
        ]

    def check_ins(self) -> list[Payload]:
        """Cron monitor check-ins, in the order they were sent."""
        return self.items("check_in")

    def traced(self, item_type: str = "transaction") -> list[tuple[Payload, Payload]]:
        """Each item of this type with its envelope's `trace` header, the sampling decision
        that travels with the trace: `trace_id`, `sample_rate`, `sample_rand`, `sampled`."""
        with self._changed:
            envelopes = list(self.envelopes)
        return [
            (json.loads(item.get_bytes()), envelope.headers.get("trace", {}))
            for envelope in envelopes
            for item in envelope.items
            if item.type == item_type
        ]

    def clear(self) -> None:
        with self._changed:
            self.envelopes.clear()

    def wait_for(
        self, condition: Callable[[RecordingTransport], bool], timeout: float = 10.0
    ) -> None:
        """Block until `condition(self)` holds, e.g. when a worker thread sends the envelope."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"Sentry payload not recorded within {timeout} s; "
                        f"recorded item types: {[i.type for e in self.envelopes for i in e.items]}"
                    )
                self._changed.wait(remaining)


def spans_of(transaction: Payload, op: str | None = None) -> list[Payload]:
    """The spans of one transaction, optionally with one `op` only."""
    return [span for span in transaction["spans"] if op is None or span["op"] == op]


def children_of(transaction: Payload, parent: Payload) -> list[Payload]:
    """The spans directly under `parent`: a span of this transaction, or its
    `contexts.trace` for the top level."""
    return [span for span in transaction["spans"] if span["parent_span_id"] == parent["span_id"]]


def ops(spans: list[Payload]) -> list[str]:
    """The `op` of each span, in order."""
    return [span["op"] for span in spans]
