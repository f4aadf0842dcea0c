"""A before_send hook that drops an event: returning None discards it, silently."""


def drop_broken_pipe(event, hint):
    # The client hung up while the response was being written: nothing to fix on our side.
    exc_info = hint.get("exc_info")
    if exc_info and isinstance(exc_info[1], BrokenPipeError):
        return None
    return event
