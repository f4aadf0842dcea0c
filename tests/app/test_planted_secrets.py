"""Planted secrets: none reaches Sentry under the example app's configuration (bahk/sentry.py).

Every value is planted where a real app carries it (headers, cookies, query string, form and
JSON bodies, Celery task arguments, SQL parameters, Redis values, local variables of a frame
that raises), then every recorded envelope's bytes are searched for it: raw, URL-encoded,
JSON-escaped and inside base64 (Celery message bodies are base64).
"""

from __future__ import annotations

import base64
import json
import secrets
from urllib.parse import quote, quote_plus, urlencode

import pytest
import sentry_sdk
from celery import shared_task
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache

import bahk.sentry
from bahk.sentry import DATA_COLLECTION
from harness.environ import TEST_DSN
from harness.payload_files import trim
from hub.models import Participant


@shared_task(name="tests.send_password_reset")
def send_password_reset(email: str, reset_token: str) -> None:
    """Gets secrets as arguments, queries and caches with them, then fails."""
    Participant.objects.filter(email=email).exists()
    cache.set("password-reset", {"email": email, "token": reset_token}, 60)
    raise ConnectionError("The mail server refused the message")


def charge_partner(partner_secret: str) -> None:
    amount_due = 12
    raise RuntimeError(f"The partner refused a charge of {amount_due}")


def plant() -> dict[str, str]:
    """Fresh values on every run, so that no source line the SDK quotes can contain them."""
    return {
        "authorization": "Bearer " + secrets.token_hex(12),
        "api_key_header": secrets.token_hex(12),
        "client_ip": f"203.0.113.{secrets.randbelow(250) + 1}",
        "session_cookie": "",  # the real session key, set by `signed_in_user`
        "csrf_token": secrets.token_hex(16),  # 32 characters, like Django's CSRF secret
        "tracking_cookie": secrets.token_hex(12),
        "query_token": secrets.token_hex(12),
        "query_email": f"q{secrets.token_hex(6)}@example.org",
        "referer_token": secrets.token_hex(12),  # in the previous page's URL
        "referer_fragment": secrets.token_hex(12),
        "form_password": secrets.token_hex(12),
        "form_token": secrets.token_hex(12),
        "form_email": f"f{secrets.token_hex(6)}@example.org",
        "json_password": secrets.token_hex(12),
        "json_email": f"j{secrets.token_hex(6)}@example.org",
        "json_note": secrets.token_hex(12),
        "task_email": f"t{secrets.token_hex(6)}@example.org",
        "task_token": secrets.token_hex(12),
        "local_variable": secrets.token_hex(12),
        "username": f"user{secrets.token_hex(6)}",
        "user_email": f"u{secrets.token_hex(6)}@example.org",
    }


def _forms(value: str) -> set[str]:
    forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
    for shift in range(3):  # base64 at each of the three byte alignments
        encoded = base64.b64encode(b"\0" * shift + value.encode()).decode()
        forms.add(encoded[4:-4])
    return forms


def leaked(recorder, planted: dict[str, str]) -> set[str]:
    """Names of the planted values found anywhere in the recorded envelopes."""
    sent = "\n".join(e.serialize().decode("utf-8", "replace") for e in recorder.envelopes)
    return {name for name, value in planted.items() if any(f in sent for f in _forms(value))}


@pytest.fixture
def planted() -> dict[str, str]:
    return plant()


@pytest.fixture
def signed_in_user(planted, transactional_db):
    user = get_user_model().objects.create_user(
        username=planted["username"], email=planted["user_email"], password=secrets.token_hex(8)
    )
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    planted["session_cookie"] = session.session_key
    return user


def drive_the_app(wsgi, recorder, planted: dict[str, str]) -> None:
    """Three failing requests, a failing task and a failing function, all carrying secrets."""
    headers = {
        "Cookie": (
            f"sessionid={planted['session_cookie']}; csrftoken={planted['csrf_token']}; "
            f"ajs_user_id={planted['tracking_cookie']}"
        ),
        "Authorization": planted["authorization"],
        "X-Api-Key": planted["api_key_header"],
        "X-Forwarded-For": planted["client_ip"],
        "User-Agent": "planted-secrets-test",
        # The page the user came from: the SDK filters headers by name, not inside a value.
        "Referer": (
            f"https://bahk.example/reset/?token={planted['referer_token']}"
            f"#state={planted['referer_fragment']}"
        ),
    }
    query = urlencode({"token": planted["query_token"], "email": planted["query_email"]})
    assert wsgi.get(f"/sentry-debug/?{query}", headers=headers).status == 500

    form = {
        "csrfmiddlewaretoken": planted["csrf_token"],
        "password": planted["form_password"],
        "token": planted["form_token"],
        "email": planted["form_email"],
    }
    response = wsgi.post(
        "/sentry-debug/",
        body=urlencode(form).encode(),
        headers=headers,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status == 500  # past the CSRF check, into the view

    document = {
        "participant": {"email": planted["json_email"], "password": planted["json_password"]},
        "note": planted["json_note"],
    }
    response = wsgi.post(
        "/sentry-debug/",
        body=json.dumps(document).encode(),
        headers={**headers, "X-CSRFToken": planted["csrf_token"]},
        content_type="application/json",
    )
    assert response.status == 500

    send_password_reset.delay(planted["task_email"], planted["task_token"])
    recorder.wait_for(
        lambda r: (
            any("celery-job" in e.get("extra", {}) for e in r.events())
            and any(t["transaction"] == "tests.send_password_reset" for t in r.transactions())
        )
    )

    try:
        charge_partner(planted["local_variable"])
    except RuntimeError as error:
        sentry_sdk.capture_exception(error)

    # All of it was recorded: 5 error events, request and task transactions with their
    # SQL and Redis spans.
    assert len(recorder.events()) == 5
    assert len(recorder.transactions()) >= 4
    assert recorder.spans(op="db") and recorder.spans(op="db.redis")


def request_payloads(recorder) -> list[dict]:
    return [
        item
        for item in recorder.events() + recorder.transactions()
        if item.get("transaction") == "/sentry-debug/"
    ]


@pytest.mark.django_db(transaction=True)
def test_default_configuration_sends_none_of_the_planted_secrets(
    sentry_init, recorder, wsgi, celery_worker, planted, signed_in_user
):
    sentry_init(traces_sample_rate=1.0)

    drive_the_app(wsgi, recorder, planted)

    assert leaked(recorder, planted) == set()
    assert all("user" not in item for item in recorder.events() + recorder.transactions())


@pytest.mark.django_db(transaction=True)
def test_user_info_on_sends_the_user_id_and_nothing_more(
    sentry_init, recorder, wsgi, celery_worker, planted, signed_in_user
):
    sentry_init(traces_sample_rate=1.0, data_collection={**DATA_COLLECTION, "user_info": True})

    drive_the_app(wsgi, recorder, planted)

    assert leaked(recorder, planted) == set()
    requests = request_payloads(recorder)
    assert len(requests) == 6
    assert all(item["user"] == {"id": str(signed_in_user.pk)} for item in requests)


@pytest.mark.django_db(transaction=True)
def test_user_info_alone_turns_every_other_category_back_on(
    sentry_init, recorder, wsgi, celery_worker, planted, signed_in_user
):
    """The trap the guide warns about: a partial `data_collection` means SDK defaults."""
    sentry_init(traces_sample_rate=1.0, data_collection={"user_info": True})

    drive_the_app(wsgi, recorder, planted)

    assert {
        "client_ip",  # X-Forwarded-For header
        "tracking_cookie",
        "query_email",
        "form_password",
        "json_note",
        "task_email",  # task arguments and SQL parameters
        "task_token",  # task arguments and Redis values
        "local_variable",
    } <= leaked(recorder, planted)


PROTECTIONS = {
    # protection removed: planted values that then reach Sentry
    "cookies": {"tracking_cookie"},
    "http_headers": {"client_ip"},
    "url_query_params": {"query_email"},
    "http_bodies": {"form_password", "form_token", "form_email", "json_email", "json_note"},
    "database_query_data": {"task_email", "task_token"},
    "queues": {"task_email", "task_token"},
    "stack_frame_variables": {"local_variable", "query_token", "task_email", "task_token"},
    "keep_only_user_id": {"username", "user_email", "client_ip"},
    "drop_referer_query": {"referer_token", "referer_fragment"},
}


@pytest.mark.parametrize("protection", PROTECTIONS)
@pytest.mark.django_db(transaction=True)
def test_each_protection_is_needed(
    protection, sentry_init, recorder, wsgi, celery_worker, planted, signed_in_user, monkeypatch
):
    # bahk's hooks call these two by name (a hook passed to init_sentry would only be added).
    if protection == "keep_only_user_id":
        data_collection = {**DATA_COLLECTION, "user_info": True}
        monkeypatch.setattr(bahk.sentry, "keep_only_user_id", lambda event, hint: event)
    elif protection == "drop_referer_query":
        data_collection = DATA_COLLECTION
        monkeypatch.setattr(bahk.sentry, "drop_referer_query", lambda event: None)
    else:
        data_collection = {k: v for k, v in DATA_COLLECTION.items() if k != protection}
    sentry_init(traces_sample_rate=1.0, data_collection=data_collection)

    drive_the_app(wsgi, recorder, planted)

    assert PROTECTIONS[protection] <= leaked(recorder, planted)


@pytest.mark.django_db
def test_what_the_referer_keeps_and_what_is_sent_as_is(sentry_init, recorder, wsgi, assert_payload):
    """The Sensitive data page's list: the Referer loses its query string and fragment; an
    OAuth callback's `?code=` and a webhook's signature header are sent as they are."""
    sentry_init(traces_sample_rate=1.0)

    response = wsgi.get(
        "/sentry-debug/?code=oauth-authorization-code&state=af0ifjsldkj",
        headers={
            "Referer": "https://bahk.example/reset/?token=live-reset-token#step-2",
            "X-Hub-Signature-256": "sha256=5d61605c3feea9799210ddcb71307d4ba264225f",
        },
    )

    assert response.status == 500
    (event,) = recorder.events()
    (transaction,) = recorder.transactions()
    for item in (event, transaction):
        headers = item["request"]["headers"]
        assert headers["Referer"] == "https://bahk.example/reset/"
        assert headers["X-Hub-Signature-256"] == "sha256=5d61605c3feea9799210ddcb71307d4ba264225f"
        assert item["request"]["query_string"] == "code=oauth-authorization-code&state=af0ifjsldkj"
    assert_payload(
        "sensitive_data/referer",
        trim(event, "request.url", "request.query_string", "request.headers"),
    )


def test_an_event_scrubber_is_ignored_once_data_collection_is_set(recorder):
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    with pytest.warns(UserWarning, match="Event scrubbers are not enabled"):
        sentry_sdk.init(
            dsn=TEST_DSN,
            transport=recorder,
            data_collection=DATA_COLLECTION,
            event_scrubber=EventScrubber(denylist=[*DEFAULT_DENYLIST, "email"]),
        )

    assert sentry_sdk.get_client().options["event_scrubber"] is None
