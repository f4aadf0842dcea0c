"""README.md, "Running the example app": its command does what its next sentence says."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from bahk.sentry import sentry_options

README = Path(__file__).resolve().parents[2] / "README.md"


def runserver_environ() -> dict[str, str]:
    """The variables the README sets on its `manage.py runserver` command line."""
    text = README.read_text().replace("\\\n", " ")
    (line,) = [line for line in text.splitlines() if "manage.py runserver" in line]
    words = shlex.split(line)
    assignments = words[: next(i for i, word in enumerate(words) if "=" not in word)]
    return dict(word.split("=", 1) for word in assignments)


@pytest.mark.django_db
def test_one_visit_to_sentry_debug_sends_the_error_and_its_transaction(sentry_init, recorder, wsgi):
    assert "/sentry-debug/> once: the error and its transaction appear in Sentry" in (
        README.read_text()
    )
    environ = runserver_environ()
    assert re.fullmatch(r"https://<key>@.+", environ.pop("SENTRY_DSN"))
    options = sentry_options({**environ, "SENTRY_DSN": "https://k@o.ingest.sentry.io/1"})
    assert options["traces_sample_rate"] == 1.0  # every request traced, not one in ten
    sentry_init(environ)

    assert wsgi.get("/sentry-debug/").status == 500

    (event,) = recorder.events()
    (transaction,) = recorder.transactions()
    assert event["exception"]["values"][0]["type"] == "ZeroDivisionError"
    assert transaction["transaction"] == event["transaction"] == "/sentry-debug/"
    assert event["environment"] == "development"


def test_the_supported_versions_are_the_support_tables():
    support = README.parent / "envs" / "matrix" / "results" / "support.md"
    (passing,) = [line for line in support.read_text().splitlines() if " passes on: " in line]
    assert passing in " ".join(README.read_text().split()), "README: copy support.md's line"
