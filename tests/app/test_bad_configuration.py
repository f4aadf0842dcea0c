"""Bad configuration stops the app with a clear message; no Sentry configuration is one line.

`python manage.py check` runs in a subprocess with a clean environment, as a developer or
Heroku's release phase would run it. Settings call init_sentry and read REDIS_URL, so a bad
SENTRY_* variable or REDIS_URL stops every command (web, worker, beat, release, check) before
it does anything.
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
from heroku.app import procfile_commands

EXAMPLE_APP = Path(__file__).resolve().parents[2] / "example_app"
VALID_DSN = "https://public@o1.ingest.sentry.io/1"
DSN_FORM = "Expected the form https://<public_key>@<host>/<project_id>"
RATE_FORM = "SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1 (for example 0.1)"
REDIS_FORM = (
    "Expected redis://[:password@]host[:port][/db], or rediss:// for TLS, "
    "as Heroku Key-Value Store sets it."
)
# Heroku Key-Value Store's form of REDIS_URL: TLS, a password, no database number.
HEROKU_REDIS_URL = "rediss://:p4ssw0rd@ec2-3-81-0-1.compute-1.amazonaws.com:12345"


def run_in_example_app(command: list[str] | str, **environ: str) -> subprocess.CompletedProcess:
    """Run a command (a string: a shell command line, as Heroku runs the Procfile's)."""
    return subprocess.run(
        command,
        shell=isinstance(command, str),
        cwd=EXAMPLE_APP,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


def manage_check(**environ: str) -> subprocess.CompletedProcess:
    return run_in_example_app([sys.executable, "manage.py", "check"], **environ)


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


BAD_REDIS_URLS = {  # id: (REDIS_URL, what the message says of it)
    "empty": ("", "is set but empty"),
    "blank": ("  ", "is set but empty"),
    "no-scheme": ("127.0.0.1:6379", "must start with redis:// or rediss://"),
    "not-redis": ("amqp://guest@127.0.0.1:5672//", "must start with redis:// or rediss://"),
    "no-host": ("redis://", "names no host"),
    "port-not-a-number": ("redis://:p4ssw0rd@127.0.0.1:port/0", "has a port that is not a number"),
    "db-not-a-number": ("redis://127.0.0.1:6379/cache", "has a database that is not a number"),
}


@pytest.mark.parametrize(("value", "problem"), BAD_REDIS_URLS.values(), ids=BAD_REDIS_URLS.keys())
def test_check_fails_on_an_empty_or_malformed_redis_url(value, problem):
    run = manage_check(REDIS_URL=value)

    assert run.returncode == 1
    last_line = run.stderr.splitlines()[-1]
    exception = "django.core.exceptions.ImproperlyConfigured"
    assert last_line == f"{exception}: REDIS_URL {problem}. {REDIS_FORM}"
    assert "p4ssw0rd" not in run.stderr  # the message never repeats the URL's password


@pytest.mark.parametrize(
    ("process_type", "value"),
    [
        ("worker", ""),  # it retried amqp://localhost forever
        ("worker", "redis://127.0.0.1:port/0"),  # it stopped with a ValueError about a port
        ("web", ""),
        ("beat", ""),
        ("release", ""),
    ],
)
def test_every_procfile_process_stops_at_start_on_a_bad_redis_url(process_type, value):
    run = run_in_example_app(
        procfile_commands()[process_type],
        REDIS_URL=value,
        GUNICORN_CMD_ARGS="--bind 127.0.0.1:0",  # web: never on all interfaces
    )

    assert run.returncode != 0
    assert "ImproperlyConfigured: REDIS_URL " in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("environ", "url"),
    [
        ({}, "redis://127.0.0.1:6379/0"),  # unset: a local Redis, for development
        ({"REDIS_URL": HEROKU_REDIS_URL}, HEROKU_REDIS_URL),
        ({"REDIS_URL": "redis://localhost"}, "redis://localhost"),
        ({"REDIS_URL": " redis://127.0.0.1:6380/2\n"}, "redis://127.0.0.1:6380/2"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0/"}, "redis://127.0.0.1:6379/0/"),
    ],
    ids=["unset", "heroku", "host-only", "whitespace", "database-and-slash"],
)
def test_redis_urls_that_are_accepted(environ, url):
    from bahk.redis import redis_url

    assert redis_url(environ) == url
