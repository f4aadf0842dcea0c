"""Fail any test that tries to reach a host other than this machine.

A `sys.addaudithook` hook sees every `socket.connect` and `socket.getaddrinfo` in the process,
whichever library makes it. Loopback addresses and Unix sockets are allowed; anything else
raises `NonLoopbackConnection` at the call site, so the test fails where the leak happens.
Every attempt is also kept in `ATTEMPTS` so a test can assert that none happened at all.
"""

from __future__ import annotations

import ipaddress
import sys
import threading

LOCAL_NAMES = {"localhost", "testserver", ""}
ATTEMPTS: list[tuple[str, object]] = []
_lock = threading.Lock()
_installed = False


class NonLoopbackConnection(OSError):
    pass


def _is_local(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host)
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _audit(event: str, args: tuple) -> None:
    if event == "socket.connect":
        address = args[1]
        if not isinstance(address, tuple):  # a Unix socket path
            return
        host = address[0]
    elif event == "socket.getaddrinfo":
        host = args[0]
    else:
        return
    with _lock:
        ATTEMPTS.append((event, host))
    if not _is_local(host):
        raise NonLoopbackConnection(
            f"Tests may only connect to this machine; {event} to {host!r} was blocked."
        )


def install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True
