"""Attach the logged-in user's id to the events of each request, and nothing else of the user."""

import sentry_sdk

from bahk.sentry import DATA_COLLECTION, keep_only_user_id


def init_sentry_with_user_info(dsn: str, **options) -> None:
    sentry_sdk.init(
        dsn=dsn,
        # Every category spelled out (see Sensitive data), with user info on.
        data_collection={**DATA_COLLECTION, "user_info": True},
        # The SDK adds the username, email and IP address: send the id only.
        before_send=keep_only_user_id,
        before_send_transaction=keep_only_user_id,
        **options,
    )
