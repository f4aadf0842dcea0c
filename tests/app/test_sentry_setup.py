"""example_app/bahk/sentry.py: what the app's own configuration sends, or refuses."""

import pytest
import sentry_sdk
from django.core.exceptions import ImproperlyConfigured

from bahk.sentry import heroku_tags, init_sentry, sentry_options


def test_blank_dsn_is_no_dsn():
    assert sentry_options({"SENTRY_DSN": "  "}) is None


@pytest.mark.parametrize("dsn", ["not-a-dsn", "https://sentry.io/123", "ftp://key@host/1"])
def test_malformed_dsn_fails_naming_the_variable(dsn):
    with pytest.raises(ImproperlyConfigured, match=r"^SENTRY_DSN is not a valid Sentry DSN"):
        init_sentry({"SENTRY_DSN": dsn})
    assert not sentry_sdk.get_client().is_active()


def test_heroku_tags_from_dyno_metadata():
    assert heroku_tags(
        {"DYNO": "worker.2", "HEROKU_RELEASE_VERSION": "v42", "HEROKU_APP_NAME": "bahk-prod"}
    ) == {
        "dyno": "worker.2",
        "dyno_type": "worker",
        "heroku_release": "v42",
        "heroku_app": "bahk-prod",
    }
    assert heroku_tags({}) == {}


@pytest.mark.parametrize(
    ("dyno", "dyno_type"),
    [
        ("web.1", "web"),
        ("run.4213", "run"),
        ("scheduler.7", "scheduler"),
        ("web-12a34b56d-e78f9", "web"),
        ("fast-worker-7d9f8c6b5-x2k4p", "fast-worker"),
        ("console", "console"),
    ],
)
def test_dyno_type_on_cedar_and_fir_dyno_names(dyno, dyno_type):
    assert heroku_tags({"DYNO": dyno})["dyno_type"] == dyno_type
