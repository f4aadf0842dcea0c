"""Heroku on loopback: the example app run the way Heroku runs it, for tests.

- `app.HerokuApp`: the Procfile's release command, then its web, worker and beat dynos (with
  `DYNO` set as Heroku sets it), behind the router proxy, on Redis over TLS.
- `dynos`: `python -m heroku.dynos`, the Procfile's processes run by honcho, one `DYNO` each.
- `router.HerokuRouter`: a reverse proxy that adds the headers Heroku's router adds.
- `tls_redis`: Redis over TLS with a self-signed certificate, as Heroku Key-Value Store serves it.
- `overdue_beat`: `python -m heroku.overdue_beat`, makes beat's entries due the moment it starts.
- `settings`, `urls`: bahk's settings plus the Celery page's view that sends a task.
"""
