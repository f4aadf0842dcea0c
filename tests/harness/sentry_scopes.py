"""The SDK as a new process finds it: no client, no scopes (tests and benchmarks between runs)."""

import sentry_sdk
import sentry_sdk.scope


# --8<-- [start:reset]
def reset_sentry() -> None:
    """Close the client (flushing its transport), then drop every scope."""
    client = sentry_sdk.get_client()
    if client.is_active():
        client.close()
    # No public call replaces the scopes (see the Testing page): back to None, as at start-up.
    sentry_sdk.scope._global_scope = None
    sentry_sdk.scope._isolation_scope.set(None)
    sentry_sdk.scope._current_scope.set(None)


# --8<-- [end:reset]
