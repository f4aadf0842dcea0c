"""Trace work that no integration traces for you: a script, a management command, a loop."""

import sentry_sdk

from hub.models import Fast


def count_participants() -> dict[str, int]:
    """Participants per fast, as one transaction with a span per step."""
    with sentry_sdk.start_transaction(op="task", name="Count participants"):
        with sentry_sdk.start_span(op="fasts.load", name="Load fasts"):
            fasts = list(Fast.objects.all())
        counts = {}
        with sentry_sdk.start_span(op="fasts.count", name="Count each fast"):
            for fast in fasts:
                with sentry_sdk.start_span(op="fast.count", name=fast.name):
                    counts[fast.name] = fast.participants.count()
    return counts
