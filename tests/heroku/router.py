"""A loopback reverse proxy that adds the headers Heroku's router adds before a web dyno.

    with HerokuRouter(upstream_port=web_port) as router:
        response = router.request("GET", "/health/")

Every request reaches the web dyno with, as on Heroku:

- `X-Forwarded-For`: the client's address, appended to any the client sent. Every client here
  is 127.0.0.1, so the router reports `client_ip`, a documentation address (RFC 5737) that
  can be searched for in what reaches Sentry;
- `X-Forwarded-Proto: https` and `X-Forwarded-Port: 443`: the router terminates TLS;
- `X-Request-Id` (a UUID), `X-Request-Start` (milliseconds since the epoch) and `Via`.

The `Host` header is the app's domain. A dyno that does not answer gets a 503, as Heroku's
router answers one.
"""

from __future__ import annotations

import http.client
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from harness.loopback_http import LoopbackHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"}


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)


class HerokuRouter(LoopbackHTTPServer):
    def __init__(
        self,
        upstream_port: int,
        *,
        host: str = "bahk.herokuapp.com",
        client_ip: str = "203.0.113.7",
    ) -> None:
        self.upstream_port = upstream_port
        self.host = host
        self.client_ip = client_ip
        self.forwarded: list[dict[str, str]] = []  # the headers of every request passed on
        super().__init__(self._handler())

    def router_headers(self, forwarded_for: str | None) -> dict[str, str]:
        return {
            "X-Forwarded-For": f"{forwarded_for}, {self.client_ip}"
            if forwarded_for
            else self.client_ip,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Port": "443",
            "X-Request-Id": str(uuid.uuid4()),
            "X-Request-Start": str(int(time.time() * 1000)),
            "Via": "1.1 vegur",
        }

    def request(
        self, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Response:
        """Send a request to the app's domain through the router, as a browser would."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Host": self.host, **(headers or {})}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return Response(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        router = self

        class Handler(BaseHTTPRequestHandler):
            def forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {
                    name: value
                    for name, value in self.headers.items()
                    if name.lower() not in HOP_BY_HOP and name.lower() != "x-forwarded-for"
                }
                headers.update(router.router_headers(self.headers.get("X-Forwarded-For")))
                upstream = http.client.HTTPConnection("127.0.0.1", router.upstream_port, timeout=30)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    status, reply_headers, data = (
                        response.status,
                        response.getheaders(),
                        response.read(),
                    )
                except ConnectionError:
                    status, reply_headers, data = 503, [], b"Application error\n"
                finally:
                    upstream.close()
                router.forwarded.append(headers)
                self.send_response(status)
                for name, value in reply_headers:
                    if name.lower() not in HOP_BY_HOP | {"server", "date"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = forward

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
