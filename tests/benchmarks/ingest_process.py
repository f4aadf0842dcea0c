"""A loopback Sentry ingest endpoint in its own process, for the overhead benchmark.

Run by `overhead.py`: prints the DSN on the first line, serves until stdin closes, then
prints how many items of each type it received as one JSON line. Running it in another
process keeps its envelope parsing off the benchmark process's GIL, as sentry.io would be.
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.sentry_http_endpoint import SentryHTTPEndpoint


def main() -> None:
    with SentryHTTPEndpoint() as endpoint:
        print(endpoint.dsn, flush=True)
        sys.stdin.read()
        counts = collections.Counter(
            item.type for envelope in list(endpoint.envelopes) for item in envelope.items
        )
        print(json.dumps({"requests": endpoint.requests, "items": dict(counts)}), flush=True)


if __name__ == "__main__":
    main()
