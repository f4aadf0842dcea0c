"""tests/harness/network_guard.py: a test that reaches for another machine fails, before a
packet leaves."""

import socket
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from harness import network_guard
from harness.network_guard import NonLoopbackConnection

# TEST-NET-1 (RFC 5737): reserved for documentation, never routed on the internet.
UNROUTABLE_ADDRESS = "192.0.2.1"
TESTS_DIR = Path(__file__).resolve().parent.parent

expect_blocked = pytest.mark.blocked_connections_expected


@expect_blocked
def test_connect_to_a_non_loopback_address_is_refused_before_the_system_call(network_attempts):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(NonLoopbackConnection, match=r"192\.0\.2\.1"):
            sock.connect((UNROUTABLE_ADDRESS, 443))
        # The audit hook ran before connect(2): the socket never got a peer.
        with pytest.raises(OSError):
            sock.getpeername()

    assert network_attempts() == [("socket.connect", UNROUTABLE_ADDRESS)]


@expect_blocked
def test_name_lookup_of_a_remote_host_is_refused_before_any_dns_query(network_attempts):
    with pytest.raises(NonLoopbackConnection, match=r"example\.com"):
        socket.getaddrinfo("example.com", 443)

    assert network_attempts() == [("socket.getaddrinfo", "example.com")]


@expect_blocked
def test_libraries_are_refused_too(network_attempts):
    with pytest.raises(urllib.error.URLError) as excinfo:
        urllib.request.urlopen(f"http://{UNROUTABLE_ADDRESS}/", timeout=1)

    assert isinstance(excinfo.value.reason, NonLoopbackConnection)
    assert ("socket.connect", UNROUTABLE_ADDRESS) not in network_attempts()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_is_allowed(host, network_attempts):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as server:
        server.bind((host, 0))
        server.listen()
        with socket.create_connection(server.getsockname()[:2], timeout=2):
            pass

    assert network_attempts(), "the guard did not see the loopback connection"
    assert all(network_guard._is_local(host) for _, host in network_attempts())


INNER_CONFTEST = """
from harness import network_guard

def pytest_configure(config):
    network_guard.install(config)
"""

INNER_TESTS = f"""
import socket
import pytest

def test_connects_out():
    socket.create_connection(("{UNROUTABLE_ADDRESS}", 80), timeout=1)

def test_swallows_the_error_as_a_background_sender_would():
    try:
        socket.getaddrinfo("example.com", 443)
    except OSError:
        pass

def test_stays_on_loopback():
    socket.getaddrinfo("127.0.0.1", 80)

@pytest.mark.blocked_connections_expected
def test_says_it_provokes_one_on_purpose():
    with pytest.raises(OSError):
        socket.getaddrinfo("example.com", 443)
"""


def test_a_test_that_reaches_another_machine_fails_even_if_it_swallows_the_error(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent(INNER_CONFTEST))
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:django", "-rA"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(TESTS_DIR), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert (
        "FAILED test_inner.py::test_connects_out - harness.network_guard.NonLoopbackConnection"
        in output
    )
    assert "ERROR test_inner.py::test_swallows_the_error_as_a_background_sender_would" in output
    assert "PASSED test_inner.py::test_stays_on_loopback" in output
    assert "PASSED test_inner.py::test_says_it_provokes_one_on_purpose" in output
    assert "1 failed, 3 passed, 1 error" in output
