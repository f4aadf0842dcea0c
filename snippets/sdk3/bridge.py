"""On sentry-sdk 2.75: the 3.x code and what Sentry receives from it, before you upgrade."""

from collections.abc import Mapping

from snippets.sdk3.sentry import init_sentry  # bahk/sentry.py, changed for 3.x


def init_sentry_streaming(environ: Mapping[str, str], **overrides) -> bool:
    # 2.75 streams spans as 3.x does when asked; 3.x has no other mode (and ignores it).
    return init_sentry(environ, trace_lifecycle="stream", **overrides)
