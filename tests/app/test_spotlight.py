"""SENTRY_SPOTLIGHT: bahk sends to Spotlight, a Sentry UI on this machine, with or without a DSN.

The SDK reads SENTRY_SPOTLIGHT itself (`sentry_sdk/spotlight.py`) and POSTs every envelope to
that URL; bahk only has to start Sentry when it is set. A loopback endpoint stands in for
Spotlight here (tests/browser/test_demo.py uses the real one).
"""

from __future__ import annotations

import pytest
import sentry_sdk

from bahk.sentry import init_sentry
from harness.environ import TEST_DSN
from harness.sentry_http_endpoint import SentryHTTPEndpoint


@pytest.fixture
def spotlight(monkeypatch, clean_environ):
    clean_environ()
    with SentryHTTPEndpoint() as endpoint:
        url = f"http://127.0.0.1:{endpoint.port}/stream"
        monkeypatch.setenv("SENTRY_SPOTLIGHT", url)  # what the SDK reads
        endpoint.environ = {"SENTRY_SPOTLIGHT": url}  # what bahk's settings read
        yield endpoint


@pytest.mark.django_db
def test_spotlight_alone_gets_every_error_and_transaction(spotlight, wsgi):
    assert init_sentry(spotlight.environ)
    assert sentry_sdk.get_client().transport is None  # no DSN: nothing for sentry.io

    # bahk's default rate traces one request in ten: without a DSN, the SDK traces them all.
    for _ in range(3):
        assert wsgi.get("/sentry-debug/", headers={"Cookie": "sessionid=s3cr3t"}).status == 500
    spotlight.wait_for(lambda e: len(e.items("event")) == len(e.items("transaction")) == 3)

    event = spotlight.items("event")[0]
    assert event["exception"]["values"][-1]["type"] == "ZeroDivisionError"
    # The SDK turns personal data on when there is no DSN, unless told what to collect:
    # bahk's DATA_COLLECTION still applies. No user, no cookies.
    assert "user" not in event
    assert "cookies" not in event["request"]
    assert "s3cr3t" not in str(spotlight.items())


@pytest.mark.django_db
def test_with_a_dsn_spotlight_gets_what_sentry_gets(spotlight, wsgi, recorder):
    environ = {**spotlight.environ, "SENTRY_DSN": TEST_DSN, "SENTRY_TRACES_SAMPLE_RATE": "1"}
    assert init_sentry(environ, transport=recorder)

    assert wsgi.get("/sentry-debug/").status == 500
    spotlight.wait_for(lambda e: e.items("event") and e.items("transaction"))

    assert spotlight.items("event") == recorder.events()
    assert spotlight.items("transaction") == recorder.transactions()


def test_without_dsn_or_spotlight_sentry_stays_off(clean_environ):
    clean_environ()
    assert not init_sentry({"SENTRY_SPOTLIGHT": " "})
    assert not sentry_sdk.get_client().is_active()
