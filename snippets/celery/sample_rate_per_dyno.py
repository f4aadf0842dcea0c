"""One config var set for every dyno, a different traces sample rate for web and worker."""

from bahk.sentry import (
    DEFAULT_TRACES_SAMPLE_RATE,  # 0.1: one-off dynos (`heroku run`), local runs
    heroku_tags,
)

TRACES_SAMPLE_RATE_BY_DYNO_TYPE = {
    "web": 0.05,  # many short requests; the tasks they send follow each request's decision
    "worker": 0.5,  # only tasks that arrive with no decision, such as beat's
}


def traces_sample_rate(environ) -> float:
    dyno_type = heroku_tags(environ).get("dyno_type")  # "web" from web.1 and web-12a34b56d-e78f9
    return TRACES_SAMPLE_RATE_BY_DYNO_TYPE.get(dyno_type, DEFAULT_TRACES_SAMPLE_RATE)
