"""A Sentry ingest endpoint on loopback, for tests that use the SDK's real HTTP transport.

    with SentryHTTPEndpoint() as endpoint:
        sentry_sdk.init(dsn=endpoint.dsn)        # the SDK's own HttpTransport
        ...
        sentry_sdk.flush()
        endpoint.wait_for(lambda e: e.items("event"))

`behaviour` makes it misbehave the way a real Sentry can: "ok" (200), "rate-limited" (429 with
Retry-After), "error" (500) or "stall" (answer only after `stall_seconds`).
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from sentry_sdk.envelope import Envelope

from harness.loopback_http import LoopbackHTTPServer
from sentry_recorder import RecordingTransport

Behaviour = Literal["ok", "rate-limited", "error", "stall"]


def _decode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli  # only when the SDK found brotli installed

        return brotli.decompress(body)
    return body


class SentryHTTPEndpoint(LoopbackHTTPServer):
    def __init__(
        self,
        behaviour: Behaviour = "ok",
        stall_seconds: float = 5.0,
        *,
        port: int = 0,
        rate_limits: str = "60::organization",
    ) -> None:
        self.behaviour = behaviour
        self.stall_seconds = stall_seconds
        self.rate_limits = rate_limits  # X-Sentry-Rate-Limits sent with a 429
        self.received = RecordingTransport()  # every envelope that arrived, readable as JSON
        super().__init__(self._handler(), port)

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.port}/1"

    @property
    def envelopes(self) -> list[Envelope]:
        return self.received.envelopes

    @property
    def requests(self) -> int:
        return len(self.received.envelopes)

    def items(self, item_type: str | None = None) -> list[dict[str, Any]]:
        return self.received.items(item_type)

    def wait_for(
        self, condition: Callable[[SentryHTTPEndpoint], bool], timeout: float = 15.0
    ) -> None:
        try:
            self.received.wait_for(lambda _: condition(self), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"Nothing matching arrived at {self.dsn} within {timeout} s "
                f"({self.requests} requests received)"
            ) from None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = _decode(self.rfile.read(length), self.headers.get("Content-Encoding", ""))
                if endpoint.behaviour == "stall":
                    time.sleep(endpoint.stall_seconds)
                endpoint.received.capture_envelope(Envelope.deserialize(body))
                if endpoint.behaviour == "rate-limited":
                    self.send_response(429)
                    self.send_header("Retry-After", "60")
                    self.send_header("X-Sentry-Rate-Limits", endpoint.rate_limits)
                elif endpoint.behaviour == "error":
                    self.send_response(500)
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
