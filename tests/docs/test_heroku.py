"""docs/heroku.md

The tags on a task from the Procfile's prefork worker, and Redis over TLS, are tested with the
real dynos: tests/app/test_procfile_processes.py.
"""

import pytest

from harness.beat import apply_beat_entries
from harness.payload_files import trim

DYNO_METADATA = {"HEROKU_RELEASE_VERSION": "v42", "HEROKU_APP_NAME": "bahk-prod"}


@pytest.mark.django_db
def test_web_dyno_error_carries_the_four_tags(sentry_init, recorder, wsgi, assert_payload):
    sentry_init({"DYNO": "web.1", **DYNO_METADATA, "SENTRY_TRACES_SAMPLE_RATE": "1"})

    wsgi.get("/sentry-debug/")

    (event,) = recorder.events()
    assert event["tags"] == {
        "dyno": "web.1",
        "dyno_type": "web",
        "heroku_release": "v42",
        "heroku_app": "bahk-prod",
    }
    assert_payload("heroku/web_error_tags", trim(event, "transaction", "tags"))


@pytest.mark.parametrize(
    ("dyno", "dyno_type"),
    [
        # Cedar: <process type>.<number>, as Heroku documents them
        ("web.1", "web"),
        ("worker.2", "worker"),
        ("run.4213", "run"),
        # Fir: <process type>-<generated>-<generated>, Heroku's own examples
        ("web-12a34b56d-e78f9", "web"),
        ("worker-23z34x56y-w78k9", "worker"),
        # A Procfile process type may contain hyphens
        ("fast-maps-23z34x56y-w78k9", "fast-maps"),
        # The middle part is 8 to 10 characters long
        ("worker-23z34x56-w78k9", "worker"),
        ("worker-23z34x56y0-w78k9", "worker"),
        # Not a dyno name of either shape: the whole name
        ("worker-23z34x5-w78k9", "worker-23z34x5-w78k9"),  # middle part too short
        ("worker-23z34x56y01-w78k9", "worker-23z34x56y01-w78k9"),  # middle part too long
        ("worker-23z34x56y-w78k", "worker-23z34x56y-w78k"),  # last part too short
        ("worker-23z34x56y-w78k9z", "worker-23z34x56y-w78k9z"),  # last part too long
        ("worker-23Z34X56Y-W78K9", "worker-23Z34X56Y-W78K9"),  # capitals
        ("-23z34x56y-w78k9", "-23z34x56y-w78k9"),  # no process type
        ("console", "console"),
    ],
)
def test_dyno_type_from_cedar_and_fir_dyno_names(sentry_init, recorder, dyno, dyno_type):
    import sentry_sdk

    sentry_init({"DYNO": dyno})

    sentry_sdk.capture_message("which process?")

    assert recorder.events()[0]["tags"] == {"dyno": dyno, "dyno_type": dyno_type}


def test_without_dyno_metadata_only_the_dyno_tags(sentry_init, recorder, wsgi):
    import sentry_sdk

    sentry_init({"DYNO": "run.4213"})

    sentry_sdk.capture_message("from a one-off dyno")

    assert recorder.events()[0]["tags"] == {"dyno": "run.4213", "dyno_type": "run"}


@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_run_every_task_twice(sentry_init, recorder, celery_worker):
    sentry_init({"DYNO": "beat.1"})
    name = "hourly-fast-map-updates"

    for _beat_process in range(2):
        apply_beat_entries(celery_worker, name)

    def both_finished(r):
        return len([c for c in r.check_ins() if c["status"] == "ok"]) == 2

    recorder.wait_for(both_finished)
    check_ins = [c for c in recorder.check_ins() if c["monitor_slug"] == name]
    assert [c["status"] for c in check_ins].count("in_progress") == 2
    assert [c["status"] for c in check_ins].count("ok") == 2
    assert len({c["check_in_id"] for c in check_ins}) == 2
