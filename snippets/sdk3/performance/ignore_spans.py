"""Leave spans out: ignore_spans matches a span's name (or attributes) when it starts."""

import re

IGNORE_SPANS = [
    # Django's signal receivers add the same two spans to every request.
    re.compile(r"django\.db\.(reset_queries|close_old_connections)"),
]
