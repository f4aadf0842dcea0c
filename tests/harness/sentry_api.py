"""Sentry's web API on loopback, for sentry-cli: it answers the release calls and records them.

    with SentryAPI(org="acme", token="sntrys_test", repositories=["acme/bahk"]) as api:
        run sentry-cli with SENTRY_URL=api.url, SENTRY_AUTH_TOKEN=sntrys_test, SENTRY_ORG=acme
        api.calls   # [Call("POST", "/api/0/organizations/acme/releases/", {...}), ...]

It answers the way sentry.io does for what sentry-cli asks when it creates a release, sets its
commits, finalizes it and records a deploy: a release or a deploy as JSON, the organization's
repositories (those of its GitHub integration, say), 401 for another token, 404 for a path it
does not know.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

from harness.loopback_http import LoopbackHTTPServer

NOW = "2026-11-29T12:00:00Z"


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # without the query string, percent-decoded
    body: Any  # the JSON sent, or None


class SentryAPI(LoopbackHTTPServer):
    def __init__(self, *, org: str, token: str, repositories: list[str] = ()) -> None:
        self.org = org
        self.token = token
        self.repositories = list(repositories)
        self.calls: list[Call] = []
        super().__init__(self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        organization = f"/api/0/organizations/{re.escape(self.org)}"
        if method == "GET" and path == f"/api/0/organizations/{self.org}/repos/":
            return 200, [_repository(number, name) for number, name in enumerate(self.repositories)]
        if method == "POST" and path == f"/api/0/organizations/{self.org}/releases/":
            return 201, _release(body["version"])
        if method == "PUT" and (match := re.fullmatch(rf"{organization}/releases/([^/]+)/", path)):
            return 200, _release(match[1])
        if method == "POST" and re.fullmatch(rf"{organization}/releases/[^/]+/deploys/", path):
            return 201, {"id": "1", "name": None, "url": None, "dateStarted": None, **body}
        return 404, {"detail": "The requested resource does not exist"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def respond(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                path = unquote(urlsplit(self.path).path)
                api.calls.append(Call(self.command, path, body))
                if self.headers.get("Authorization") != f"Bearer {api.token}":
                    status, reply = 401, {"detail": "Invalid token"}
                else:
                    status, reply = api.answer(self.command, path, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = respond

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def _release(version: str) -> dict[str, Any]:
    return {
        "version": version,
        "ref": None,
        "url": None,
        "dateCreated": NOW,
        "dateReleased": None,
        "lastEvent": None,
        "newGroups": 0,
        "projects": [],
    }


def _repository(number: int, name: str) -> dict[str, Any]:
    return {
        "id": str(number + 1),
        "name": name,
        "url": f"https://github.com/{name}",
        "provider": {"id": "integrations:github", "name": "GitHub"},
        "status": "active",
        "dateCreated": NOW,
    }
