"""A web dyno that calls the join view once per set of headers (Celery page, per-dyno rates).

`python -m harness.web_dyno DSN HEADERS_JSON` (run in example_app/ with DYNO=web.1,
DJANGO_SETTINGS_MODULE=bahk.settings and REDIS_URL) starts Sentry as the page says and posts
to `/api/fasts/3/join/` with each headers dict of the JSON list.
"""

from __future__ import annotations

import json
import os
import sys


def main(dsn: str, requests_headers: list[dict[str, str]]) -> None:
    import django

    django.setup()  # bahk's settings, without SENTRY_DSN: Sentry starts below, as the page says

    import sentry_sdk
    from django.conf import settings

    from bahk.sentry import init_sentry
    from harness.wsgi_client import WSGIClient
    from snippets.celery.sample_rate_per_dyno import traces_sample_rate

    settings.ROOT_URLCONF = "snippets.celery.enqueue_from_view"
    environ = {**os.environ, "SENTRY_DSN": dsn}
    init_sentry(environ, traces_sample_rate=traces_sample_rate(environ))
    for headers in requests_headers:
        response = WSGIClient().post(
            "/api/fasts/3/join/",
            body=b"email=amina@example.org",
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
        assert response.status == 202, response
    sentry_sdk.flush()


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
