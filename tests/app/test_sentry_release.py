"""Releases with sentry-cli: the Procfile's release phase creates the release the app reports.

The release phase runs as Heroku runs it (tests/heroku/), with the real sentry-cli binary
pointed at a loopback stand-in for Sentry's web API (`SENTRY_URL`, tests/harness/sentry_api.py) that
records every call. The web dyno then reports an error to a loopback ingest endpoint.
"""

from __future__ import annotations

import inspect
import re
import sqlite3
import subprocess
import sys

import pytest
import sentry_sdk
from django.core.exceptions import ImproperlyConfigured

from bahk import sentry_release
from bahk.release import release_name
from bahk.sentry import sentry_options
from harness.environ import TEST_DSN
from harness.sentry_api import Call, SentryAPI
from heroku.app import EXAMPLE_APP, ROOT, VENV_BIN, HerokuApp

COMMIT = "4f6c2a9e0b1d3c5e7f9a1b3c5d7e9f0a2b4c6d8e"  # the commit Heroku built
TOKEN = "sntrys_release-phase-test"
SENTRY_CLI = {"SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "acme", "SENTRY_PROJECT": "bahk"}
RELEASES = "/api/0/organizations/acme/releases/"


def config_vars(tmp_path, api: SentryAPI, **more: str) -> dict[str, str]:
    return {
        "DJANGO_ALLOWED_HOSTS": "bahk.herokuapp.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SENTRY_URL": api.url,
        "SENTRY_ENVIRONMENT": "staging",
        "HEROKU_BUILD_COMMIT": COMMIT,
        **more,
    }


def applied_migrations(tmp_path) -> set[str]:
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        return {app for (app,) in db.execute("SELECT app FROM django_migrations")}


def without_times(calls: list[Call]) -> list[tuple]:
    """The calls, without the timestamps sentry-cli puts in some bodies."""
    times = {"dateStarted", "dateReleased", "dateFinished"}
    return [
        (c.method, c.path, {k: v for k, v in (c.body or {}).items() if k not in times})
        for c in calls
    ]


def test_release_phase_creates_the_release_the_app_reports(
    tmp_path, redis_url, sentry_endpoint, assert_payload
):
    with SentryAPI(org="acme", token=TOKEN, repositories=["acme/bahk"]) as api:
        environ = config_vars(
            tmp_path,
            api,
            REDIS_URL=redis_url,
            SENTRY_DSN=sentry_endpoint.dsn,
            SENTRY_REPOSITORY="acme/bahk",
            **SENTRY_CLI,
        )
        with HerokuApp(tmp_path, environ) as heroku:
            heroku.run({"release.1": heroku.commands["release"]})

            assert without_times(api.calls) == [
                ("POST", RELEASES, {"version": COMMIT, "projects": ["bahk"]}),
                ("GET", "/api/0/organizations/acme/repos/", {}),
                ("POST", RELEASES, {"version": COMMIT, "projects": ["bahk"]}),
                (
                    "PUT",
                    f"{RELEASES}{COMMIT}/",
                    {
                        "refs": [
                            {"repository": "acme/bahk", "commit": COMMIT, "previousCommit": None}
                        ]
                    },
                ),
                ("PUT", f"{RELEASES}{COMMIT}/", {"projects": ["bahk"]}),  # finalized
                (
                    "POST",
                    f"{RELEASES}{COMMIT}/deploys/",
                    {"environment": "staging", "name": None, "url": None},
                ),
            ]
            assert "dateReleased" in api.calls[4].body
            assert_payload(
                "best_practices/sentry_cli_calls",
                [
                    {"request": f"{method} {path}", "body": body}
                    for method, path, body in without_times(api.calls)
                ],
            )
            release_log = (tmp_path / "release.1.log").read_text()
            assert f"Sentry release: {COMMIT} created, finalized and deployed" in release_log

            heroku.start(web="web.1")
            assert heroku.router.request("GET", "/sentry-debug/").status == 500
            sentry_endpoint.wait_for(lambda endpoint: endpoint.items("event"))

    (event,) = sentry_endpoint.items("event")
    assert event["release"] == COMMIT
    assert event["environment"] == "staging"
    assert "hub" in applied_migrations(tmp_path)


def test_without_a_token_the_release_phase_says_so_and_the_deploy_goes_on(tmp_path):
    with SentryAPI(org="acme", token=TOKEN) as api:
        environ = config_vars(tmp_path, api, SENTRY_ORG="acme", SENTRY_PROJECT="bahk")
        with HerokuApp(tmp_path, environ) as heroku:
            heroku.run({"release.1": heroku.commands["release"]})  # fails if it exits non-zero

    release_log = (tmp_path / "release.1.log").read_text()
    assert "Sentry release: SENTRY_AUTH_TOKEN not set: no Sentry release created." in release_log
    assert api.calls == []
    assert "hub" in applied_migrations(tmp_path)  # the migrations ran


def run_python(args: list[str], environ: dict[str, str], bin_first: str = ""):
    """Python in the example app, with `environ` only (commands looked for in `bin_first` first)."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=EXAMPLE_APP,
        env={"PATH": f"{bin_first}:{VENV_BIN}:/usr/bin:/bin".lstrip(":"), **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_release_step(environ: dict[str, str], bin_first: str = "") -> subprocess.CompletedProcess:
    return run_python(["-m", "bahk.sentry_release"], environ, bin_first)


def test_a_failing_sentry_cli_step_is_reported_and_does_not_fail_the_release_phase(tmp_path):
    # Sentry knows no repository of that name: `set-commits` fails.
    with SentryAPI(org="acme", token=TOKEN, repositories=["acme/bahk"]) as api:
        environ = config_vars(tmp_path, api, SENTRY_REPOSITORY="acme/bahk-typo", **SENTRY_CLI)
        result = run_release_step(environ)

    assert result.returncode == 0
    assert "Unknown repo 'acme/bahk-typo'" in result.stderr
    assert (
        f"Sentry release: `sentry-cli releases set-commits {COMMIT} --commit "
        f"acme/bahk-typo@{COMMIT}` failed (see above); the deploy goes on." in result.stderr
    )
    assert not [call for call in api.calls if call.path.endswith("/deploys/")]


def test_without_a_release_name_the_release_phase_says_how_to_get_one(tmp_path):
    with SentryAPI(org="acme", token=TOKEN) as api:
        environ = config_vars(tmp_path, api, **SENTRY_CLI)
        del environ["HEROKU_BUILD_COMMIT"]
        result = run_release_step(environ)

    assert result.returncode == 0
    assert result.stderr == (
        "Sentry release: no release name: set SENTRY_RELEASE, or run "
        "`heroku labs:enable runtime-dyno-build-metadata` to get HEROKU_BUILD_COMMIT.\n"
    )
    assert api.calls == []


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SENTRY_RELEASE": "bahk@2.4.0", "HEROKU_BUILD_COMMIT": COMMIT}, "bahk@2.4.0"),
        ({"HEROKU_BUILD_COMMIT": COMMIT, "HEROKU_SLUG_COMMIT": "5" * 40}, COMMIT),
        ({"HEROKU_SLUG_COMMIT": "5" * 40}, "5" * 40),
        ({"SENTRY_RELEASE": " ", "HEROKU_BUILD_COMMIT": " "}, None),
        ({}, None),
    ],
    ids=["sentry-release-first", "build-commit-next", "slug-commit-last", "blank", "none"],
)
def test_release_name_order(environ, expected):
    assert release_name(environ) == expected


REFUSED_CHARACTERS = "; Sentry refuses slashes, backslashes, newlines and tabs"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("feature/login", "contains '/'" + REFUSED_CHARACTERS),
        ("bahk\\2.4", r"contains '\\'" + REFUSED_CHARACTERS),
        ("bahk\t2.4", r"contains '\t'" + REFUSED_CHARACTERS),
        ("bahk\n2.4", r"contains '\n'" + REFUSED_CHARACTERS),
        ("feature/login\t2", "contains '/'" + REFUSED_CHARACTERS),  # the first, in that order
        (".", "is not a name Sentry accepts"),
        ("..", "is not a name Sentry accepts"),
        ("b" * 201, "is 201 characters long; Sentry accepts at most 200"),
    ],
    ids=[
        "slash",
        "backslash",
        "tab",
        "newline",
        "slash-and-tab",
        "period",
        "two-periods",
        "too-long",
    ],
)
def test_a_release_name_sentry_refuses_stops_the_app_at_start(name, problem):
    environ = {"SENTRY_DSN": TEST_DSN, "SENTRY_RELEASE": name}

    with pytest.raises(ImproperlyConfigured) as refused:
        sentry_options(environ)
    quoted = repr(name if len(name) <= 60 else "b" * 60)  # a long name: its first 60 characters
    assert str(refused.value) == f"The Sentry release name {quoted} {problem}."


@pytest.mark.parametrize("name", ["b" * 200, "bahk@2.4.0+Xmas", "..."])
def test_release_names_sentry_accepts(name):
    assert release_name({"SENTRY_RELEASE": name}) == name


@pytest.mark.parametrize(
    ("environ", "set_commits"),
    [
        ({"SENTRY_REPOSITORY": "acme/bahk", "HEROKU_BUILD_COMMIT": COMMIT}, True),
        ({"SENTRY_REPOSITORY": "acme/bahk"}, False),  # SENTRY_RELEASE alone names the release
        ({"HEROKU_BUILD_COMMIT": COMMIT}, False),  # Sentry would not know which repository
    ],
    ids=["repository-and-commit", "no-commit", "no-repository"],
)
def test_commits_are_linked_only_with_a_repository_and_a_commit(environ, set_commits):
    steps = sentry_release.sentry_cli_steps(environ, "bahk@2.4.0")

    link = ["sentry-cli", "releases", "set-commits", "bahk@2.4.0", "--commit"]
    assert [step[:5] for step in steps].count(link) == set_commits
    assert [step[:3] for step in steps if step[:5] != link] == [
        ["sentry-cli", "releases", "new"],
        ["sentry-cli", "releases", "finalize"],
        ["sentry-cli", "deploys", "new"],
    ]


def test_every_missing_sentry_cli_variable_is_named(capsys):
    sentry_release.main({"SENTRY_ORG": "acme"})

    missing = "SENTRY_AUTH_TOKEN, SENTRY_PROJECT not set: no Sentry release created."
    assert capsys.readouterr().err == f"Sentry release: {missing}\n"


def test_importing_the_release_step_runs_nothing():
    run = run_python(["-c", "import bahk.sentry_release"], SENTRY_CLI)

    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def test_a_sentry_cli_killed_by_a_signal_is_a_failed_step(tmp_path):
    """A crash (a negative return code) stops the steps like an error does."""
    crashing = tmp_path / "bin" / "sentry-cli"
    crashing.parent.mkdir()
    crashing.write_text("#!/bin/sh\nkill -KILL $$\n")
    crashing.chmod(0o755)
    result = run_release_step({**SENTRY_CLI, "SENTRY_RELEASE": "bahk@2.4.0"}, str(crashing.parent))

    assert result.returncode == 0
    expected = "`sentry-cli releases new bahk@2.4.0` failed (see above); the deploy goes on."
    assert result.stderr == f"Sentry release: {expected}\n"


def test_the_commit_heroku_built_wins_over_a_git_checkout(
    sentry_init, recorder, monkeypatch, clean_environ, tmp_path
):
    """bahk passes the release itself: the SDK alone would put `git rev-parse HEAD` first."""
    clean_environ()
    git = ["git", "-c", "user.name=bahk", "-c", "user.email=dev@bahk.invalid", "-C", tmp_path]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "First"], check=True)
    monkeypatch.chdir(tmp_path)
    sentry_init({"HEROKU_BUILD_COMMIT": COMMIT})

    sentry_sdk.capture_message("hello")

    assert recorder.events()[0]["release"] == COMMIT


def test_a_release_name_sentry_refuses_is_said_in_the_release_phase(tmp_path):
    with SentryAPI(org="acme", token=TOKEN) as api:
        environ = config_vars(tmp_path, api, SENTRY_RELEASE="feature/login", **SENTRY_CLI)
        result = run_release_step(environ)

    assert result.returncode == 0
    assert "Sentry release: The Sentry release name 'feature/login' contains '/'" in result.stderr
    assert "No Sentry release created." in result.stderr
    assert api.calls == []


def test_the_config_vars_the_page_sets_are_those_the_release_phase_reads():
    snippet = (ROOT / "snippets" / "best_practices" / "release_config.sh").read_text()
    config_vars = set(re.findall(r"\b([A-Z][A-Z_]+)=", snippet))

    assert config_vars == {*sentry_release.SENTRY_CLI_VARIABLES, "SENTRY_REPOSITORY"}
    assert "runtime-dyno-build-metadata" in snippet  # HEROKU_BUILD_COMMIT
    assert "SENTRY_REPOSITORY" in inspect.getsource(sentry_release.sentry_cli_steps)
