"""The SDK on its own: it reads SENTRY_DSN, and calls every environment "production"."""

import sentry_sdk


def init_with_sdk_defaults(**options) -> None:
    # No dsn= and no environment=: the SDK reads SENTRY_DSN and SENTRY_ENVIRONMENT itself,
    # and falls back to "production" when SENTRY_ENVIRONMENT is unset.
    sentry_sdk.init(**options)
