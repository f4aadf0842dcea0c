"""For a beat process whose Sentry setup is not loaded by itself."""

import os

from celery.signals import beat_init

from bahk.sentry import init_sentry


@beat_init.connect
def init_sentry_in_beat(sender, **kwargs) -> None:
    init_sentry(os.environ)
