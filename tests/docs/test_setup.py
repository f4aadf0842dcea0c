"""docs/setup.md"""

import logging
import subprocess

import pytest
import sentry_sdk
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from sentry_sdk.integrations.celery import CeleryIntegration

from bahk.sentry import DATA_COLLECTION, init_sentry
from harness.environ import TEST_DSN
from harness.payload_files import trim
from snippets.setup import own_hook, sdk_defaults


def test_unset_dsn_means_sentry_is_off_and_silent(clean_environ, network_attempts):
    clean_environ()

    assert init_sentry({}) is False

    assert not sentry_sdk.get_client().is_active()
    assert sentry_sdk.capture_exception(ZeroDivisionError("unheard")) is None
    with sentry_sdk.start_transaction(name="unheard"):
        pass
    assert network_attempts() == []


def test_sdk_alone_reads_dsn_from_environment_and_says_production(
    clean_environ, monkeypatch, recorder, assert_payload
):
    clean_environ()
    monkeypatch.setenv("SENTRY_DSN", TEST_DSN)

    sdk_defaults.init_with_sdk_defaults(transport=recorder)
    sentry_sdk.capture_message("Where does this come from?")

    (event,) = recorder.events()
    assert event["environment"] == "production"
    # Installed packages switch their integrations on without being listed...
    assert {"django", "celery", "redis"} <= set(event["sdk"]["integrations"])
    # ...but with their default options: no beat check-ins.
    assert sentry_sdk.get_client().get_integration(CeleryIntegration).monitor_beat_tasks is False
    assert_payload("setup/sdk_defaults", trim(event, "message", "environment", "sdk.integrations"))


def test_app_defaults_to_development(clean_environ, recorder):
    clean_environ()

    assert init_sentry({"SENTRY_DSN": TEST_DSN}, transport=recorder)
    sentry_sdk.capture_message("Where does this come from?")

    (event,) = recorder.events()
    assert event["environment"] == "development"
    client = sentry_sdk.get_client()
    assert client.get_integration(CeleryIntegration).monitor_beat_tasks is True
    assert client.options["traces_sample_rate"] == 0.1
    assert {"django", "celery", "redis"} <= set(event["sdk"]["integrations"])


def test_sentry_environment_names_the_environment(sentry_init, recorder):
    sentry_init({"SENTRY_ENVIRONMENT": "staging"})

    sentry_sdk.capture_message("hello")

    assert recorder.events()[0]["environment"] == "staging"


def test_sentry_release_wins_over_everything(sentry_init, recorder, monkeypatch, clean_environ):
    clean_environ()
    monkeypatch.setenv("HEROKU_BUILD_COMMIT", "b" * 40)
    sentry_init({"SENTRY_RELEASE": "bahk@2.4.0"})

    sentry_sdk.capture_message("hello")

    assert recorder.events()[0]["release"] == "bahk@2.4.0"


@pytest.mark.parametrize(
    ("heroku_environ", "expected"),
    [
        ({"HEROKU_BUILD_COMMIT": "b" * 40}, "b" * 40),
        ({"HEROKU_SLUG_COMMIT": "5" * 40}, "5" * 40),
        ({"HEROKU_BUILD_COMMIT": "b" * 40, "HEROKU_SLUG_COMMIT": "5" * 40}, "b" * 40),
    ],
    ids=["build-commit", "deprecated-slug-commit", "build-commit-first"],
)
def test_release_detected_from_heroku_outside_a_git_checkout(
    sentry_init, recorder, monkeypatch, clean_environ, tmp_path, heroku_environ, expected
):
    clean_environ()
    monkeypatch.chdir(tmp_path)  # like a dyno: the slug is not a git checkout
    for name, value in heroku_environ.items():
        monkeypatch.setenv(name, value)
    sentry_init()

    sentry_sdk.capture_message("hello")

    assert recorder.events()[0]["release"] == expected


def test_when_bahk_passes_no_release_the_sdk_looks_in_git_first(
    sentry_init, recorder, monkeypatch, clean_environ, tmp_path
):
    """The page's fallback: bahk's environment names no release, so the SDK looks itself, and
    the checkout's commit comes before a Heroku variable only the SDK sees (os.environ)."""
    clean_environ()
    git = ["git", "-c", "user.name=bahk", "-c", "user.email=dev@bahk.invalid"]
    subprocess.run([*git, "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "First"], check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    monkeypatch.setenv("HEROKU_BUILD_COMMIT", "b" * 40)
    sentry_init()

    sentry_sdk.capture_message("hello")

    assert recorder.events()[0]["release"] == head


def test_no_release_at_all_outside_git_without_variables(
    sentry_init, recorder, monkeypatch, clean_environ, tmp_path
):
    clean_environ()
    monkeypatch.chdir(tmp_path)
    sentry_init()

    sentry_sdk.capture_message("hello")

    assert "release" not in recorder.events()[0]


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "transactions"), [("1.0", 1), ("0", 0)])
def test_app_reads_traces_sample_rate(sentry_init, recorder, wsgi, raw, transactions):
    sentry_init({"SENTRY_TRACES_SAMPLE_RATE": raw})

    wsgi.get("/admin/login/")

    assert sentry_sdk.get_client().options["traces_sample_rate"] == float(raw)
    assert len(recorder.transactions()) == transactions


@pytest.mark.django_db
def test_sdk_alone_ignores_traces_sample_rate_variable(clean_environ, monkeypatch, recorder, wsgi):
    clean_environ()
    monkeypatch.setenv("SENTRY_DSN", TEST_DSN)
    monkeypatch.setenv("SENTRY_TRACES_SAMPLE_RATE", "1.0")
    sdk_defaults.init_with_sdk_defaults(transport=recorder)

    wsgi.get("/admin/login/")

    assert sentry_sdk.get_client().options["traces_sample_rate"] is None
    assert recorder.transactions() == []


@pytest.mark.parametrize("raw", ["1.5", "10%"])
def test_traces_sample_rate_outside_0_to_1_fails_at_startup(raw):
    with pytest.raises(ImproperlyConfigured, match="SENTRY_TRACES_SAMPLE_RATE must be a number"):
        init_sentry({"SENTRY_DSN": TEST_DSN, "SENTRY_TRACES_SAMPLE_RATE": raw})
    assert not sentry_sdk.get_client().is_active()


def test_redis_integration_records_cache_commands(sentry_init, recorder, redis_url):
    sentry_init(traces_sample_rate=1.0)

    with sentry_sdk.start_transaction(name="warm the cache"):
        cache.set("greeting", "salam")
        cache.get("greeting")

    commands = [span["description"] for span in recorder.spans(op="db.redis")]
    assert any(command.startswith("SET") for command in commands)
    assert any(command.startswith("GET") for command in commands)


AMINA = {"id": "7", "username": "amina", "email": "amina@example.org", "ip_address": "192.0.2.1"}
WITH_USER = {**DATA_COLLECTION, "user_info": True}


def test_own_before_send_runs_after_bahks(clean_environ, monkeypatch, recorder, assert_payload):
    clean_environ()
    monkeypatch.setenv("SENTRY_DSN", TEST_DSN)
    assert own_hook.start_sentry(transport=recorder, data_collection=WITH_USER)
    sentry_sdk.set_user(AMINA)

    sentry_sdk.capture_exception(BrokenPipeError(32, "Broken pipe"))  # dropped by yours
    logging.getLogger("django.security.DisallowedHost").error("Invalid HTTP_HOST header")
    sentry_sdk.capture_exception(ZeroDivisionError("division by zero"))

    (event,) = recorder.events()  # bahk's hook dropped the DisallowedHost record
    assert event["exception"]["values"][0]["type"] == "ZeroDivisionError"
    assert event["user"] == {"id": "7"}  # bahk's hook still sends the id only
    assert_payload("setup/own_hook", trim(event, "exception.values[].type", "user"))


def test_init_sentry_runs_a_given_hook_on_what_bahks_let_through(clean_environ, recorder):
    clean_environ()
    seen = []

    def own_hook(event, hint):
        seen.append(None if event is None else event["user"])
        return event

    assert init_sentry(
        {"SENTRY_DSN": TEST_DSN},
        transport=recorder,
        traces_sample_rate=1.0,
        data_collection=WITH_USER,
        before_send=own_hook,
        before_send_transaction=own_hook,
    )
    sentry_sdk.set_user(AMINA)

    logging.getLogger("django.security.DisallowedHost").error("Invalid HTTP_HOST header")
    sentry_sdk.capture_message("import finished")
    with sentry_sdk.start_transaction(name="import"):
        pass

    assert seen == [{"id": "7"}, {"id": "7"}]  # never the dropped record, never the email
    assert recorder.events()[0]["user"] == recorder.transactions()[0]["user"] == {"id": "7"}


def test_a_hook_set_to_none_leaves_bahks_in_place(clean_environ, recorder):
    clean_environ()
    assert init_sentry(
        {"SENTRY_DSN": TEST_DSN},
        transport=recorder,
        data_collection=WITH_USER,
        before_send=None,
        before_send_transaction=None,
    )
    sentry_sdk.set_user(AMINA)

    sentry_sdk.capture_message("import finished")

    assert recorder.events()[0]["user"] == {"id": "7"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/wp-login.php", 404), ("TRACE", "/api/fasts/1/participants/map/", 405)],
)
def test_no_transaction_for_a_404_or_a_405(sentry_init, recorder, wsgi, method, path, status):
    seen = []

    def keep_everything(event, hint):
        seen.append(event["transaction"])
        return event

    sentry_init(traces_sample_rate=1.0, before_send_transaction=keep_everything)

    assert wsgi.request(method, path).status == status
    assert wsgi.get("/health/").status == 200

    # trace_ignore_status_codes: the SDK drops the transaction before any hook sees it.
    assert seen == [t["transaction"] for t in recorder.transactions()] == ["/health/"]
