"""Attach the logged-in Django user to the events of each request."""

import sentry_sdk


def init_sentry_with_user_info(dsn: str, **options) -> None:
    sentry_sdk.init(
        dsn=dsn,
        data_collection={"user_info": True},
        **options,
    )
