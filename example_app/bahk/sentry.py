"""Sentry for bahk: one place that turns SENTRY_* environment variables into `sentry_sdk.init`."""

import logging
import re
from collections.abc import Mapping

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration
from sentry_sdk.utils import BadDsn, Dsn

from bahk.release import release_name

logger = logging.getLogger(__name__)

DEFAULT_ENVIRONMENT = "development"
DEFAULT_TRACES_SAMPLE_RATE = 0.1


# --8<-- [start:options]
def sentry_options(environ: Mapping[str, str]) -> dict | None:
    """The keyword arguments for `sentry_sdk.init`, or None when there is nowhere to send to.

    SENTRY_DSN sends to Sentry. SENTRY_SPOTLIGHT, which the SDK reads itself, sends to
    Spotlight on this machine too, or alone when there is no DSN (see `nox -s demo`).
    """
    dsn = environ.get("SENTRY_DSN", "").strip()
    if not dsn and not environ.get("SENTRY_SPOTLIGHT", "").strip():
        return None
    return {
        "dsn": _checked_dsn(dsn) if dsn else None,
        # The SDK's own default is "production": name the environment explicitly.
        "environment": environ.get("SENTRY_ENVIRONMENT") or DEFAULT_ENVIRONMENT,
        # The name the release phase gives the Sentry release (bahk/release.py).
        # None lets the SDK look for one itself (`git rev-parse HEAD`, ...).
        "release": release_name(environ),
        "traces_sample_rate": _sample_rate(environ, "SENTRY_TRACES_SAMPLE_RATE"),
        "integrations": [
            DjangoIntegration(),
            CeleryIntegration(monitor_beat_tasks=True),
            RedisIntegration(),
        ],
        "data_collection": DATA_COLLECTION,
        "before_send": filter_event,
        "before_send_transaction": filter_transaction,
        "trace_ignore_status_codes": IGNORED_STATUS_CODES,
    }


# --8<-- [end:options]


# --8<-- [start:scrubbing]
# What the SDK may collect by itself. Every category is spelled out: a category left out of
# `data_collection` falls back to the SDK's default, which is to collect it.
DATA_COLLECTION = {
    "user_info": False,  # True: the signed-in user's id (see keep_only_user_id)
    "cookies": {"mode": "off"},  # session and CSRF cookies are credentials
    # Headers and query parameters whose names contain auth, token, key, secret, password,
    # session, csrf, ... arrive as "[Filtered]" (the SDK's list), and so do these headers:
    # client addresses and proxies, and the users that proxies vouch for (the terms the SDK
    # uses itself when data_collection is left out).
    "http_headers": {
        "request": {"mode": "denylist", "terms": ["forwarded", "-ip", "remote-", "via", "-user"]}
    },
    "url_query_params": {"mode": "denylist", "terms": ["email"]},
    "http_bodies": [],  # form and JSON bodies: passwords, emails, anything
    "database_query_data": False,  # SQL parameters and Redis values
    "queues": False,  # Celery task arguments
    "graphql": {"document": False, "variables": False},  # bahk has no GraphQL API (yet)
    "gen_ai": {"inputs": False, "outputs": False},  # prompts and answers of AI calls
    "stack_frame_variables": False,  # locals hold secrets under any name, `request` included
    "frame_context_lines": 5,  # source lines sent around each frame's line, before and after
}


def keep_only_user_id(event: dict, hint: dict) -> dict:
    """before_send and before_send_transaction: of the user, send the id and nothing more.

    With "user_info" on, the SDK adds the email, the username, the IP address (from
    X-Forwarded-For, which Heroku's router sets) and REMOTE_ADDR (the router's address on
    Heroku, the user's own without a proxy).
    """
    if user := event.get("user"):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    event.get("request", {}).get("env", {}).pop("REMOTE_ADDR", None)
    return event


# --8<-- [end:scrubbing]


# --8<-- [start:unfriendly-input]
# --8<-- [start:rejected-requests]
# Django answers these requests with a 400 and logs each at ERROR level. Anyone can send
# them, as often as they like. Other django.security errors stay error events.
REJECTED_REQUEST_LOGGERS = [
    "django.security.DisallowedHost",  # a Host header not in ALLOWED_HOSTS
    "django.security.RequestDataTooBig",  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE
    "django.security.TooManyFieldsSent",  # more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields
    "django.security.TooManyFilesSent",  # more than DATA_UPLOAD_MAX_NUMBER_FILES files
]


def filter_event(event: dict, hint: dict) -> dict | None:
    """before_send: no error event for a request Django rejected, nor for a Redis outage
    reported a moment ago; the user id only otherwise.

    The logging integration would make each rejected request an error event. Instead, the
    request's transaction (when sampled) gets a `rejected_request` tag: counted, not paid for.
    """
    if (logger_name := event.get("logger")) in REJECTED_REQUEST_LOGGERS:
        sentry_sdk.set_tag("rejected_request", logger_name)
        return None
    if repeats_a_redis_outage(hint):
        return None
    drop_referer_query(event)
    return keep_only_user_id(event, hint)


# --8<-- [end:rejected-requests]

# --8<-- [start:redis-outage]
# While Redis is down, these are logged at ERROR level at every failure: by Celery's worker
# at each attempt to reconnect to its broker, by the map view at each request it serves from
# the database instead. As (logger name, message):
REDIS_OUTAGE_LOGS = [
    ("celery.worker.consumer.consumer", "consumer: Cannot connect to %s: %s.\n%s\n"),
    ("hub.views.fast", "Map cache unavailable, map built from the database"),
]
REDIS_OUTAGE_REPORT_SECONDS = 10 * 60
_redis_outage_reported_at: dict[tuple[str, str], float] = {}


def repeats_a_redis_outage(hint: dict) -> bool:
    """Whether the event is a Redis outage log this process sent less than 10 minutes ago.

    One event per process every 10 minutes shows when the outage began and how long it
    lasted, without an event for each failed request or reconnect attempt.
    """
    record = hint.get("log_record")
    log = (record.name, record.msg) if record else None
    if log not in REDIS_OUTAGE_LOGS:
        return False
    last_sent = _redis_outage_reported_at.get(log)
    if last_sent is not None and record.created - last_sent < REDIS_OUTAGE_REPORT_SECONDS:
        return True
    _redis_outage_reported_at[log] = record.created
    return False


# --8<-- [end:redis-outage]

# --8<-- [start:ignored-status-codes]
# Scanners probe random URLs and methods all day: no transaction for a 404 or a 405.
# sentry_options passes them as `trace_ignore_status_codes`: the SDK drops such a
# transaction when it ends, before any hook sees it.
IGNORED_STATUS_CODES = frozenset({404, 405})
# --8<-- [end:ignored-status-codes]


def filter_transaction(event: dict, hint: dict) -> dict:
    """before_send_transaction: the user id only."""
    drop_referer_query(event)
    return keep_only_user_id(event, hint)


# --8<-- [start:referer]
def drop_referer_query(event: dict) -> None:
    """Cut the Referer header before its query string (and fragment).

    Referer holds the previous page's whole URL. The SDK filters headers and query
    parameters by name, so a `?token=` inside this header's value would reach Sentry.
    """
    headers = event.get("request", {}).get("headers", {})
    if "Referer" in headers:
        headers["Referer"] = without_query(headers["Referer"])


def without_query(url: str) -> str:
    """The URL up to its query string or fragment."""
    return re.split("[?#]", url)[0]


# --8<-- [end:referer]


# --8<-- [end:unfriendly-input]


# --8<-- [start:heroku-tags]
# Fir: <process type>-<8 to 10 generated characters>-<5 generated characters>
FIR_DYNO_NAME = re.compile(r"(?P<process_type>.+)-[0-9a-z]{8,10}-[0-9a-z]{5}")


def heroku_tags(environ: Mapping[str, str]) -> dict[str, str]:
    """Tags that say which dyno and release an event came from.

    Heroku always sets DYNO: "web.1", "worker.2", "run.4213" on Cedar apps,
    "web-12a34b56d-e78f9", "worker-23z34x56y-w78k9" on Fir apps.
    HEROKU_RELEASE_VERSION and HEROKU_APP_NAME need `heroku labs:enable runtime-dyno-metadata`.
    """
    tags = {}
    if dyno := environ.get("DYNO"):
        tags["dyno"] = dyno
        tags["dyno_type"] = _process_type(dyno)
    if release := environ.get("HEROKU_RELEASE_VERSION"):
        tags["heroku_release"] = release
    if app_name := environ.get("HEROKU_APP_NAME"):
        tags["heroku_app"] = app_name
    return tags


def _process_type(dyno: str) -> str:
    if "." in dyno:
        return dyno.partition(".")[0]
    match = FIR_DYNO_NAME.fullmatch(dyno)
    return match["process_type"] if match else dyno


# --8<-- [end:heroku-tags]


# --8<-- [start:init]
def init_sentry(environ: Mapping[str, str], **overrides) -> bool:
    """Initialise Sentry from the environment; return whether it is on.

    A `before_send` or `before_send_transaction` passed here runs after bahk's hook of the
    same kind, on what that hook lets through: it adds to bahk's filters, never replaces them.
    """
    options = sentry_options(environ)
    if options is None:
        return False  # said once logging is set up: see log_sentry_status
    for hook in ("before_send", "before_send_transaction"):
        if hook in overrides:
            options[hook] = _then(options[hook], overrides.pop(hook))
    sentry_sdk.init(**{**options, **overrides})
    # The global scope reaches every event and transaction, in every thread and task.
    sentry_sdk.get_global_scope().set_tags(heroku_tags(environ))
    return True


def _then(first, second):
    """One hook: `first`, then `second` on what `first` returns, unless it dropped it."""
    if second is None:
        return first

    def both(event: dict, hint: dict) -> dict | None:
        event = first(event, hint)
        return None if event is None else second(event, hint)

    return both


# --8<-- [end:init]


# --8<-- [start:status]
def log_sentry_status() -> None:
    """Log one line when Sentry is off. HubConfig.ready() calls it, once per process.

    init_sentry runs while settings are imported, before Django applies LOGGING:
    a line logged there would reach no handler.
    """
    if not sentry_sdk.get_client().is_active():
        logger.info("Sentry is off: SENTRY_DSN is not set.")


# --8<-- [end:status]


def _checked_dsn(dsn: str) -> str:
    try:
        Dsn(dsn)
    except BadDsn as exc:
        raise ImproperlyConfigured(
            f"SENTRY_DSN is not a valid Sentry DSN ({exc}). "
            "Expected the form https://<public_key>@<host>/<project_id>, "
            "as shown in your Sentry project's Client Keys (DSN) settings."
        ) from None
    return dsn


def _sample_rate(environ: Mapping[str, str], name: str) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return DEFAULT_TRACES_SAMPLE_RATE
    try:
        rate = float(raw)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise ImproperlyConfigured(
            f"{name} must be a number from 0 to 1 (for example 0.1), not {raw!r}."
        )
    return rate
