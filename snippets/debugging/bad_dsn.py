"""Start bahk's Sentry setup with a DSN pasted without its public key."""

from bahk.sentry import init_sentry


def start_with_incomplete_dsn() -> bool:
    return init_sentry({"SENTRY_DSN": "https://o447951.ingest.sentry.io/4508"})
