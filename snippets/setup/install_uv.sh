uv add "sentry-sdk>=2.75,<3" "celery[redis]>=5.7,<6"
