"""What every test, benchmark and nox session shares, each fact in one module.

- `environ`: the developer's own settings, kept out of every run; the test DSN.
- `ports`: a free loopback port.
- `redis_server`: a real Redis server for the session.
- `celery_worker`: the `celery_worker` fixture, a real worker on that Redis (a pytest plugin).
- `beat`: apply beat entries the way `celery beat` does (`python -m harness.beat` in a process).
- `wsgi_client`: the real WSGI application, optionally behind Heroku's router.
- `sentry_http_endpoint`: a loopback Sentry ingest endpoint for the SDK's real HTTP transport.
- `network_guard`: no connection to any host but this machine.
- `factories`: the example app's models with example data.
- `fields`: the field paths `trim` keeps, for each kind of payload.
- `early_worker_import`, `web_dyno`: programs a page's test runs in a process of its own
  (`python -m harness.<name>`).
"""
