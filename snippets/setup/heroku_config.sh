heroku config:set SENTRY_ENVIRONMENT=production \
    SENTRY_DSN="https://<key>@<org>.ingest.sentry.io/<project>"
heroku labs:enable runtime-dyno-metadata
heroku labs:enable runtime-dyno-build-metadata
