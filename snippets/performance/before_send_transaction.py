"""Edit or drop a finished transaction just before it is sent."""


def before_send_transaction(event: dict, hint: dict) -> dict | None:
    # Django's signal receivers add the same few spans to every request: leave them out.
    event["spans"] = [span for span in event.get("spans", []) if span["op"] != "event.django"]
    # Nothing left (a redirect, a 404 from a bot): not worth the quota.
    if not event["spans"]:
        return None
    return event
