"""`python -m demo` (`nox -s demo`): run bahk with Spotlight until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from demo.local import Demo, running_demo


def banner(demo: Demo, dsn: str) -> str:
    app = demo.app_url
    sentry = f"Sentry too: {urlsplit(dsn).hostname} (SENTRY_DSN)" if dsn else "no SENTRY_DSN"
    return f"""
bahk runs on this machine: the Procfile's web, worker and beat, Redis, and Spotlight.

  Spotlight, what bahk sends:  {demo.spotlight_url}   ({sentry})
  The app:                     {app}health/
    an error:                  {app}sentry-debug/
    a request with a trace:    {app}api/fasts/1/participants/map/

Beat's two entries ran as it started: their check-ins are in Insights > Envelopes.
Ctrl-C stops everything.
"""


def follow(path: Path) -> None:
    """Print what the dynos print, as `heroku logs --tail` would, until Ctrl-C."""
    with path.open() as log:
        while True:
            if line := log.readline():
                print(line, end="", flush=True)
            else:
                time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spotlight-port", type=int, default=8969, help="default: 8969")
    args = parser.parse_args()
    dsn = os.environ.get("SENTRY_DSN", "").strip()

    with tempfile.TemporaryDirectory(prefix="bahk-demo-") as workdir:
        with running_demo(Path(workdir), spotlight_port=args.spotlight_port, dsn=dsn) as demo:
            print(banner(demo, dsn), flush=True)
            try:
                follow(Path(workdir) / "dynos.log")
            except KeyboardInterrupt:
                # A second Ctrl-C must not cut the stop short and leave processes behind.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                print("\nStopping the dynos, then Spotlight and Redis...", file=sys.stderr)
    print("Stopped.", file=sys.stderr)


if __name__ == "__main__":
    main()
