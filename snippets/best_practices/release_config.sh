heroku labs:enable runtime-dyno-build-metadata
heroku config:set SENTRY_AUTH_TOKEN="<token with the project:releases scope>" \
    SENTRY_ORG=acme SENTRY_PROJECT=bahk SENTRY_REPOSITORY=acme/bahk
