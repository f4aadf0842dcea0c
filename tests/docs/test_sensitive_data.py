"""docs/sensitive-data.md

The exhaustive proof, with a secret planted everywhere, is tests/app/test_planted_secrets.py;
these tests record the payloads the page shows.
"""

from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from payloads import trim
from snippets.sensitive_data import user_info

CSRF_SECRET = "c" * 32
SECRET_HEADERS = {
    "Authorization": "Bearer live-token",
    "X-Api-Key": "live-api-key",
    "X-Forwarded-For": "203.0.113.7",
    "Cookie": f"sessionid=live-session; csrftoken={CSRF_SECRET}",
    "User-Agent": "Mozilla/5.0",
}


@pytest.mark.django_db
def test_scrubbed_event(sentry_init, recorder, wsgi, assert_payload):
    sentry_init(traces_sample_rate=1.0)
    query = urlencode({"token": "live-reset-token", "email": "amina@example.org", "lang": "en"})
    form = {"csrfmiddlewaretoken": CSRF_SECRET, "email": "amina@example.org", "password": "pw"}

    response = wsgi.post(
        f"/sentry-debug/?{query}",
        body=urlencode(form).encode(),
        headers=SECRET_HEADERS,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status == 500
    (event,) = recorder.events()
    request = event["request"]
    for header in ("Authorization", "X-Api-Key", "X-Forwarded-For", "Cookie"):
        assert request["headers"][header] == "[Filtered]"
    assert request["headers"]["User-Agent"] == "Mozilla/5.0"
    assert request["query_string"] == "token=%5BFiltered%5D&email=%5BFiltered%5D&lang=en"
    assert "data" not in request and "cookies" not in request
    assert "user" not in event
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert frames and not any("vars" in frame for frame in frames)
    assert "context_line" in frames[-1]  # source lines are still sent
    (transaction,) = recorder.transactions()
    assert transaction["request"]["headers"] == request["headers"]
    assert_payload(
        "sensitive_data/scrubbed_event",
        trim(
            event,
            "exception.values[].type",
            "request.method",
            "request.url",
            "request.query_string",
            "request.headers",
        ),
    )


@pytest.fixture
def signed_in_headers(transactional_db):
    amina = get_user_model().objects.create_user(
        id=7, username="amina", email="amina@example.org", password="not-used-here"
    )
    client = Client()
    client.force_login(amina)
    session_key = client.cookies["sessionid"].value
    return {**SECRET_HEADERS, "Cookie": f"sessionid={session_key}"}


@pytest.mark.django_db(transaction=True)
def test_user_info_sends_the_user_id_only(
    sentry_init, recorder, wsgi, signed_in_headers, assert_payload
):
    sentry_init(traces_sample_rate=1.0, data_collection=user_info.DATA_COLLECTION_WITH_USER)

    assert wsgi.get("/sentry-debug/", headers=signed_in_headers).status == 500

    (event,) = recorder.events()
    (transaction,) = recorder.transactions()
    assert event["user"] == transaction["user"] == {"id": "7"}  # no username, email or IP
    assert event["request"]["headers"]["Cookie"] == "[Filtered]"
    assert "vars" not in event["exception"]["values"][0]["stacktrace"]["frames"][-1]
    assert_payload("sensitive_data/user_info", trim(event, "user", "request.headers"))
