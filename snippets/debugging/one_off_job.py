"""A one-off job, run with `heroku run`: report a failure and wait until it is sent."""

from pathlib import Path

import sentry_sdk


class ImportFailed(Exception):
    pass


def import_participants(path: Path) -> int:
    if not path.exists():
        raise ImportFailed(f"No participants file at {path.name}")
    return len(path.read_text().splitlines())


def main(path: Path) -> int:
    try:
        print(f"Imported {import_participants(path)} participants.")
        return 0
    except ImportFailed:
        event_id = sentry_sdk.capture_exception()
        print(f"Import failed. Sentry event: {event_id}")
        return 1
    finally:
        # The SDK sends from a background thread: block until it has sent everything.
        sentry_sdk.flush(timeout=5)
