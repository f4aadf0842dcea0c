"""pytest plugin (`-p envs.sdk3.bahk_on_sdk3`): bahk's Sentry setup as the Moving to sentry-sdk 3
page changes it (snippets/sdk3/sentry.py), so the rest of the guide's code is tried on 3.x."""

import bahk.sentry
from snippets.sdk3 import sentry as sentry3


def pytest_configure(config):
    # init_sentry only: the 3.x sentry_options starts from bahk's own, which stays as it is.
    bahk.sentry.init_sentry = sentry3.init_sentry
