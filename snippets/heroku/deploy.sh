heroku create bahk-staging
heroku addons:create heroku-redis:mini
heroku addons:create heroku-postgresql:essential-0
heroku labs:enable runtime-dyno-metadata
heroku labs:enable runtime-dyno-build-metadata
heroku config:set DJANGO_SECRET_KEY="<50 random characters>" DJANGO_ALLOWED_HOSTS=.herokuapp.com \
    SENTRY_ENVIRONMENT=staging SENTRY_DSN="https://<key>@<org>.ingest.sentry.io/<project>"
git push heroku main
heroku ps:scale web=1 worker=1 beat=1
