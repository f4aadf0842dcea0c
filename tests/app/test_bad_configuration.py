"""Bad Sentry configuration stops the app with a clear message; no configuration is one line.

`python manage.py check` runs in a subprocess with a clean environment, as a developer or
Heroku's release phase would run it. Settings call init_sentry, so a bad SENTRY_* variable
stops every command (web, worker, beat, release, check) before it does anything.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
import sentry_sdk
from django.core.exceptions import ImproperlyConfigured

from bahk.sentry import init_sentry, log_sentry_status

EXAMPLE_APP = Path(__file__).resolve().parents[2] / "example_app"
VALID_DSN = "https://public@o1.ingest.sentry.io/1"
DSN_FORM = "Expected the form https://<public_key>@<host>/<project_id>"
RATE_FORM = "SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1 (for example 0.1)"


def manage_check(**environ: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=EXAMPLE_APP,
        env={"PATH": "/usr/bin:/bin", **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_dsn_check_passes_and_logs_exactly_one_line():
    run = manage_check()

    assert run.returncode == 0, run.stderr
    assert run.stdout == "System check identified no issues (0 silenced).\n"
    assert run.stderr.splitlines() == ["Sentry is off: SENTRY_DSN is not set."]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SENTRY_DSN": "not-a-dsn"}, "SENTRY_DSN is not a valid Sentry DSN"),
        ({"SENTRY_DSN": "https://sentry.io/123"}, "SENTRY_DSN is not a valid Sentry DSN"),
        ({"SENTRY_DSN": VALID_DSN, "SENTRY_TRACES_SAMPLE_RATE": "1.5"}, RATE_FORM),
        ({"SENTRY_DSN": VALID_DSN, "SENTRY_TRACES_SAMPLE_RATE": "-0.1"}, RATE_FORM),
        ({"SENTRY_DSN": VALID_DSN, "SENTRY_TRACES_SAMPLE_RATE": "10%"}, RATE_FORM),
    ],
    ids=["no-scheme", "no-key", "rate-above-1", "negative-rate", "percent"],
)
def test_check_fails_naming_the_variable_and_the_expected_form(environ, message):
    run = manage_check(**environ)

    assert run.returncode == 1
    last_line = run.stderr.splitlines()[-1]
    assert last_line.startswith(f"django.core.exceptions.ImproperlyConfigured: {message}")
    if "SENTRY_DSN is not" in message:
        assert DSN_FORM in last_line
    else:
        assert last_line.endswith(f"not {environ['SENTRY_TRACES_SAMPLE_RATE']!r}.")
    assert "Sentry is off" not in run.stderr
    assert "System check identified" not in run.stdout


def test_a_valid_configuration_starts_sentry_without_a_line(sentry_init, caplog):
    caplog.set_level(logging.INFO, logger="bahk.sentry")
    sentry_init()

    log_sentry_status()

    assert caplog.records == []


def test_no_dsn_is_said_once_at_info_level(caplog):
    caplog.set_level(logging.INFO, logger="bahk.sentry")
    assert init_sentry({}) is False
    assert caplog.records == []  # settings time: LOGGING is not applied yet

    log_sentry_status()

    (record,) = caplog.records
    assert (record.levelname, record.getMessage()) == (
        "INFO",
        "Sentry is off: SENTRY_DSN is not set.",
    )


@pytest.mark.parametrize("rate", ["0", "1", "0.25", " 1e-1 "])
def test_sample_rates_from_0_to_1_are_accepted(rate, sentry_init):
    sentry_init({"SENTRY_TRACES_SAMPLE_RATE": rate})

    assert sentry_sdk.get_client().options["traces_sample_rate"] == float(rate)


@pytest.mark.parametrize("rate", ["nan", "inf", "1.0001", "0,5"])
def test_sample_rates_that_are_not_a_number_from_0_to_1_fail(rate):
    with pytest.raises(ImproperlyConfigured, match=r"^SENTRY_TRACES_SAMPLE_RATE must be"):
        init_sentry({"SENTRY_DSN": VALID_DSN, "SENTRY_TRACES_SAMPLE_RATE": rate})
