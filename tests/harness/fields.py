"""Field paths for `trim` (harness/payload_files.py): what a page shows of each kind of payload.

Combine them, `trim(event, *EXCEPTION, "request.url")`; a path that matches nothing fails.
"""

EXCEPTION = ("exception.values[].type", "exception.values[].value", "exception.values[].mechanism")
TRANSACTION = ("transaction", "contexts.trace.op", "contexts.trace.status")
SPANS = ("spans[].op", "spans[].description")
BREADCRUMBS = ("breadcrumbs.values[].category", "breadcrumbs.values[].message")
