"""Fail any test that tries to reach a host other than this machine.

A `sys.addaudithook` hook sees every `socket.connect` and `socket.getaddrinfo` in the process,
whichever library makes it. Loopback addresses and Unix sockets are allowed; anything else
raises `NonLoopbackConnection` at the call site, before the system call, so no packet leaves.

Some code catches that error: the Sentry SDK sends from a background thread and only logs a
failed delivery. So every blocked attempt is also kept in `BLOCKED`, and the pytest plugin
fails the test in which one happened, whoever swallowed the exception. A test that provokes a
blocked attempt on purpose says so with `@pytest.mark.blocked_connections_expected`.
Every attempt, allowed or not, is kept in `ATTEMPTS` so a test can assert that none happened.
"""

from __future__ import annotations

import ipaddress
import sys
import threading

import pytest

LOCAL_NAMES = {"localhost", "testserver", ""}
MARKER = "blocked_connections_expected"
ATTEMPTS: list[tuple[str, object]] = []
BLOCKED: list[tuple[str, object]] = []
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
    local = _is_local(host)
    with _lock:
        ATTEMPTS.append((event, host))
        if not local:
            BLOCKED.append((event, host))
    if not local:
        raise NonLoopbackConnection(
            f"Tests may only connect to this machine; {event} to {host!r} was blocked."
        )


class FailTestsThatReachOut:
    """Fail a test during which a connection was blocked, even if the error was swallowed."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        start = len(BLOCKED)
        item.stash[_blocked_start] = start
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        try:
            return (yield)
        except NonLoopbackConnection:
            item.stash[_failed_already] = True  # one failure per test is enough
            raise

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        result = yield
        start = item.stash.get(_blocked_start, len(BLOCKED))
        blocked = BLOCKED[start:]
        expected = item.get_closest_marker(MARKER) is not None
        if blocked and not expected and not item.stash.get(_failed_already, False):
            raise NonLoopbackConnection(
                f"{item.nodeid} tried to reach other machines: {blocked}. "
                "Tests may only connect to loopback."
            )
        return result


_blocked_start = pytest.StashKey[int]()
_failed_already = pytest.StashKey[bool]()


def install(config: pytest.Config | None = None) -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True
    if config is not None and not config.pluginmanager.has_plugin("network_guard"):
        config.addinivalue_line(
            "markers", f"{MARKER}: this test provokes a blocked non-loopback connection on purpose"
        )
        config.pluginmanager.register(FailTestsThatReachOut(), "network_guard")
