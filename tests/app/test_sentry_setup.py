"""example_app/bahk/sentry.py: what the app's own configuration sends, or refuses."""

import pytest
import sentry_sdk
from django.core.exceptions import ImproperlyConfigured

from bahk.sentry import heroku_tags, init_sentry, sentry_options


def test_no_dsn_means_no_client_and_no_connection(network_attempts):
    assert init_sentry({}) is False

    assert not sentry_sdk.get_client().is_active()
    assert sentry_sdk.capture_exception(RuntimeError("nobody hears this")) is None
    with sentry_sdk.start_transaction(name="silent"):
        pass
    assert network_attempts() == []


def test_blank_dsn_is_no_dsn():
    assert sentry_options({"SENTRY_DSN": "  "}) is None


@pytest.mark.parametrize("dsn", ["not-a-dsn", "https://sentry.io/123", "ftp://key@host/1"])
def test_malformed_dsn_fails_naming_the_variable(dsn):
    with pytest.raises(ImproperlyConfigured, match=r"^SENTRY_DSN is not a valid Sentry DSN"):
        init_sentry({"SENTRY_DSN": dsn})
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.parametrize("raw", ["1.5", "-0.1", "ten percent", "nan"])
def test_bad_traces_sample_rate_fails_naming_the_variable(raw):
    with pytest.raises(ImproperlyConfigured, match="SENTRY_TRACES_SAMPLE_RATE must be a number"):
        sentry_options(
            {"SENTRY_DSN": "https://k@o1.ingest.sentry.io/1", "SENTRY_TRACES_SAMPLE_RATE": raw}
        )


def test_environment_defaults_to_development_not_the_sdks_production():
    options = sentry_options({"SENTRY_DSN": "https://k@o1.ingest.sentry.io/1"})
    assert options["environment"] == "development"


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


def test_heroku_tags_reach_every_event(sentry_init, recorder):
    sentry_init({"DYNO": "web.1", "HEROKU_RELEASE_VERSION": "v42", "HEROKU_APP_NAME": "bahk-prod"})

    sentry_sdk.capture_message("hello from a dyno")

    (event,) = recorder.events()
    assert event["tags"] == {
        "dyno": "web.1",
        "dyno_type": "web",
        "heroku_release": "v42",
        "heroku_app": "bahk-prod",
    }


def test_real_http_transport_delivers_to_the_dsn(sentry_endpoint):
    assert init_sentry({"SENTRY_DSN": sentry_endpoint.dsn, "SENTRY_ENVIRONMENT": "test"})

    sentry_sdk.capture_message("over the wire")
    sentry_sdk.flush()

    sentry_endpoint.wait_for(lambda e: e.items("event"))
    (event,) = sentry_endpoint.items("event")
    assert event["message"] == "over the wire"
    assert event["environment"] == "test"
