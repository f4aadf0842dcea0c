heroku config:set SENTRY_DSN="https://<key>@<org>.ingest.sentry.io/<project>" SENTRY_ENVIRONMENT=production
heroku labs:enable runtime-dyno-metadata
heroku labs:enable runtime-dyno-build-metadata
