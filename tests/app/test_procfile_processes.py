"""The Procfile's processes, run the way Heroku runs them, report to Sentry.

The release phase (`python manage.py migrate`) runs first; then honcho starts the web
(gunicorn), worker (Celery's default prefork pool) and beat dynos with `DYNO` named as Heroku
names them, the web dyno behind a proxy that adds the Heroku router's headers (tests/heroku/).
REDIS_URL is rediss:// to the test Redis behind TLS with a self-signed certificate, as Heroku
Key-Value Store gives it; SENTRY_DSN points the SDK's own HTTP transport at a loopback ingest
endpoint. The dynos run the Procfile's commands as written.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

from celery import Celery

from harness.payload_files import trim
from harness.redis_server import on_database
from heroku.app import HerokuApp

FIXTURE = Path(__file__).resolve().parents[1] / "heroku" / "fast.json"
WORKER = "worker-23z34x56y-w78k9"  # a Fir dyno name, in the shape Heroku documents
ENTRIES = ("daily-fast-notifications", "hourly-fast-map-updates")
MAP = "/api/fasts/{fast_id}/participants/map/"
JOIN = "/api/fasts/{fast_id}/join/"
MAP_TASK = "hub.tasks.update_fast_maps"
WELCOME_TASK = "snippets.celery.enqueue_from_view.send_welcome_email"
MAP_KEY = ":1:fast:1:participants-map"
DYNO_METADATA = {"HEROKU_APP_NAME": "bahk-prod", "HEROKU_RELEASE_VERSION": "v42"}
HEROKU_TAGS = {"heroku_app": "bahk-prod", "heroku_release": "v42"}


def transactions(endpoint, name: str) -> list[dict]:
    return [t for t in endpoint.items("transaction") if t["transaction"] == name]


def everything_arrived(endpoint) -> bool:
    check_ins = {(c["monitor_slug"], c["status"]) for c in endpoint.items("check_in")}
    return (
        len(endpoint.items("event")) == 2
        and len(transactions(endpoint, MAP)) == 2
        and len(transactions(endpoint, JOIN)) == 1
        and len(transactions(endpoint, WELCOME_TASK)) == 1
        and len(transactions(endpoint, MAP_TASK)) == 2
        and check_ins >= {(slug, status) for slug in ENTRIES for status in ("in_progress", "ok")}
    )


def test_procfile_dynos_behind_the_router_with_redis_over_tls(
    tmp_path, sentry_endpoint, rediss_url, redis_url, assert_payload
):
    config_vars = {
        "DJANGO_SETTINGS_MODULE": "heroku.settings",  # bahk's, plus the Celery page's view
        "DJANGO_ALLOWED_HOSTS": "bahk.herokuapp.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": on_database(rediss_url, 1),
        "SENTRY_DSN": sentry_endpoint.dsn,
        "SENTRY_ENVIRONMENT": "production",
        "SENTRY_TRACES_SAMPLE_RATE": "1",
        **DYNO_METADATA,
    }
    with HerokuApp(tmp_path, config_vars) as heroku:
        # The release phase, and a one-off dyno that makes beat's entries due at once.
        heroku.run(
            {"release.1": heroku.commands["release"], "run.1": "python -m heroku.overdue_beat"}
        )
        heroku.start(web="web.1", worker=WORKER, beat="beat.1")
        heroku.run({"run.2": f"python manage.py loaddata {shlex.quote(str(FIXTURE))}"})
        router = heroku.router

        assert router.request("GET", "/sentry-debug/").status == 500
        error_request_id = router.forwarded[-1]["X-Request-Id"]
        assert router.request("GET", "/api/fasts/1/participants/map/").status == 200  # miss
        assert router.request("GET", "/api/fasts/1/participants/map/").status == 200  # hit
        joined = router.request(
            "POST",
            "/api/fasts/1/join/",
            body=b"email=amina%40example.org",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert joined.status == 202
        # A message an older release queued with an argument the task no longer takes.
        older_release = Celery("older", broker=on_database(redis_url, 1), set_as_current=False)
        older_release.send_task(MAP_TASK, args=[42])
        older_release.close()

        sentry_endpoint.wait_for(everything_arrived, timeout=20)

        # A view error from gunicorn behind the router: Heroku's tags, no user, no address.
        view_error, task_error = sorted(
            sentry_endpoint.items("event"), key=lambda e: e["transaction"] == MAP_TASK
        )
        assert view_error["exception"]["values"][-1]["type"] == "ZeroDivisionError"
        assert view_error["tags"] == {"dyno": "web.1", "dyno_type": "web", **HEROKU_TAGS}
        assert view_error["request"]["url"] == "https://bahk.herokuapp.com/sentry-debug/"
        assert view_error["request"]["headers"]["X-Request-Id"] == error_request_id
        assert "user" not in view_error
        # The router's X-Forwarded-For carried it on every request: it is in nothing received.
        assert router.client_ip not in json.dumps(sentry_endpoint.items())

        # The prefork worker's children: tags set in the worker process, inherited by the fork.
        assert re.search(r"concurrency: \d+ \(prefork\)", heroku.dyno_output)
        assert task_error["exception"]["values"][-1]["type"] == "TypeError"
        assert task_error["exception"]["values"][-1]["mechanism"]["type"] == "celery"
        (welcome,) = transactions(sentry_endpoint, WELCOME_TASK)
        (scheduled,) = [
            t
            for t in transactions(sentry_endpoint, MAP_TASK)
            if t["contexts"]["trace"]["status"] == "ok"
        ]
        for item in (task_error, welcome, scheduled):
            assert item["tags"]["dyno"] == WORKER
            assert item["tags"]["dyno_type"] == "worker"
            assert {name: item["tags"][name] for name in HEROKU_TAGS} == HEROKU_TAGS
            # Logged by the pool child that ran it (the main process logs "received").
            task_id = item["tags"]["celery_task_id"]
            heroku.wait_for_output(rf"{WORKER} +\| .*/ForkPoolWorker-\d+\] Task \S+\[{task_id}\]")
        assert_payload(
            "heroku/prefork_task_tags",
            trim(scheduled, "transaction", "contexts.trace.op", "tags"),
        )

        # The trace from the gunicorn request to the prefork task.
        (join,) = transactions(sentry_endpoint, JOIN)
        assert join["tags"]["dyno"] == "web.1"
        assert welcome["contexts"]["trace"]["trace_id"] == join["contexts"]["trace"]["trace_id"]
        submits = {s["span_id"] for s in join["spans"] if s["op"] == "queue.submit.celery"}
        assert welcome["contexts"]["trace"]["parent_span_id"] in submits

        # Beat's check-ins: in_progress from the beat dyno, ok from the worker.
        check_ins = sentry_endpoint.items("check_in")
        for slug in ENTRIES:
            started, finished = [c for c in check_ins if c["monitor_slug"] == slug]
            assert (started["status"], finished["status"]) == ("in_progress", "ok")
            assert started["check_in_id"] == finished["check_in_id"]
            assert started["monitor_config"]["schedule"]["type"] == "crontab"
            heroku.wait_for_output(rf"beat\.1 +\| .*Sending due task {slug} ")

        # The map view's cache, over TLS: the same db.redis spans as without it.
        tls_port = urlsplit(rediss_url).port
        miss, hit = transactions(sentry_endpoint, MAP)
        assert miss["tags"]["dyno"] == hit["tags"]["dyno"] == "web.1"
        # bahk leaves cache_spans off: no cache.get or cache.put spans, only Redis commands.
        assert not [s for t in (miss, hit) for s in t["spans"] if s["op"].startswith("cache.")]
        redis_spans = {
            name: [s for s in t["spans"] if s["op"] == "db.redis"]
            for name, t in (("miss", miss), ("hit", hit))
        }
        assert [s["description"] for s in redis_spans["miss"]] == [
            f"GET '{MAP_KEY}'",
            f"SET '{MAP_KEY}'",
        ]
        assert [s["description"] for s in redis_spans["hit"]] == [f"GET '{MAP_KEY}'"]
        for span in redis_spans["miss"] + redis_spans["hit"]:
            assert (span["data"]["server.address"], span["data"]["server.port"]) == (
                "127.0.0.1",
                tls_port,
            )
        assert_payload(
            "redis/map_view_over_tls",
            {
                name: [
                    trim(
                        s,
                        "op",
                        "description",
                        "data.db.system",
                        "data.server.address",
                        "data.server.port",
                        "data.db.name",
                    )
                    for s in spans
                ]
                for name, spans in redis_spans.items()
            },
        )

        # Redis over TLS everywhere, with no certificate error and no warning from kombu.
        assert "certificate verify failed" not in heroku.dyno_output
        assert (
            "Secure redis scheme specified (rediss) with no ssl options" not in heroku.dyno_output
        )
