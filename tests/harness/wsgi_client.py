"""Drive the project's real WSGI application, the entry point the Sentry SDK instruments.

Django's test `Client` bypasses `WSGIHandler.__call__`, so it never produces a transaction.
`WSGIClient(router=HerokuRouter())` sends each request as Heroku's router delivers it to a
web dyno.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections


@dataclass(frozen=True)
class HerokuRouter:
    """What Heroku's router adds to every request on its way to a web dyno.

    The dyno's server sees the router's connection (REMOTE_ADDR, a private address); the
    client's own address arrives in X-Forwarded-For. Header names and shapes as Heroku's
    HTTP routing documentation lists them, values as a dyno receives them.
    """

    client_ip: str = "192.0.2.1"
    router_ip: str = "10.216.128.228"
    request_id: str = "a2d2c64a-1926-4df5-8653-db1b5a644f4e"
    request_start: str = "1427041338251"  # when the router received it, in ms since 1970

    def headers(self) -> dict[str, str]:
        return {
            "X-Forwarded-For": self.client_ip,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Port": "443",
            "X-Request-Id": self.request_id,
            "X-Request-Start": self.request_start,
            "Via": "1.1 vegur",
        }

    def environ(self) -> dict[str, str]:
        return {"REMOTE_ADDR": self.router_ip}


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)

    def json(self):
        return json.loads(self.body)


class WSGIClient:
    def __init__(self, router: HerokuRouter | None = None) -> None:
        self._application = None
        self.router = router

    @property
    def application(self):
        # Built on first use, after the test's sentry_init: the SDK wraps middleware as
        # Django loads it, so a handler built earlier would have no middleware spans.
        if self._application is None:
            self._application = get_wsgi_application()
        return self._application

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "",
    ) -> Response:
        parts = urlsplit(url)
        environ: dict = {
            "REQUEST_METHOD": method.upper(),
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "SERVER_NAME": "testserver",
            "HTTP_HOST": "testserver",
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": content_type,
            "wsgi.input": io.BytesIO(body),
        }
        headers = dict(headers or {})
        if self.router is not None:
            headers.update(self.router.headers())
            environ.update(self.router.environ())
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key in ("CONTENT_TYPE",) else f"HTTP_{key}"] = value
        setup_testing_defaults(environ)

        captured = {}

        def start_response(status, response_headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = dict(response_headers)

        # As Django's test client does: keep the test's database connection open.
        signals.request_finished.disconnect(close_old_connections)
        try:
            chunks = self.application(environ, start_response)
            try:
                body_out = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
        finally:
            signals.request_finished.connect(close_old_connections)
        return Response(captured["status"], captured["headers"], body_out)

    def get(self, url: str, **kwargs) -> Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> Response:
        return self.request("POST", url, **kwargs)
