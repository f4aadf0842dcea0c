"""docs/moving-to-sdk3.md: the 3.x code, run on sentry-sdk 3.0.0b2 (`nox -s sdk3`) and, as the
bridge, on 2.75 with `trace_lifecycle="stream"` (`nox -s tests`). Where the two send different
spans, the test says so and records one payload for each."""

from __future__ import annotations

import warnings

import pytest
import sentry_sdk
import sentry_sdk.traces

import bahk.sentry
from harness.environ import TEST_DSN
from harness.factories import create_fast
from harness.payload_files import trim
from harness.wsgi_client import WSGIClient
from hub.models import Fast
from snippets.performance import traces_sampler
from snippets.sdk3 import bridge
from snippets.sdk3 import sentry as sentry3
from snippets.sdk3.performance import ignore_spans, transactions_and_spans
from snippets.sdk3.real_world_example import fast_view

SDK3 = sentry_sdk.VERSION.startswith("3.")
MAP_ROUTE = "/api/fasts/{fast_id}/participants/map/"
HEROKU = {"SENTRY_DSN": TEST_DSN, "SENTRY_ENVIRONMENT": "test", "DYNO": "web.1"}


@pytest.fixture
def init3(recorder):
    """bahk's Sentry setup for 3.x; on 2.75 through the bridge (trace_lifecycle="stream")."""

    def init(**overrides) -> None:
        start = sentry3.init_sentry if SDK3 else bridge.init_sentry_streaming
        assert start(HEROKU, transport=recorder, traces_sample_rate=1.0, **overrides)

    return init


def streamed_spans(recorder) -> list[dict]:
    """Every span sent so far, in the order they ended: 3.x sends them in `span` items."""
    sentry_sdk.flush()  # spans are batched and sent by a background thread
    return [span for item in recorder.items("span") for span in item["items"]]


def value(span: dict, attribute: str):
    return span["attributes"][attribute]["value"]


def op(span: dict) -> str | None:
    return span["attributes"].get("sentry.op", {}).get("value")


def shown(span: dict, *attributes: str) -> dict:
    """A span as the page shows it: name, segment flag, status and the named attributes."""
    present = [f"attributes.{name}" for name in attributes if name in span["attributes"]]
    return trim(span, "name", "is_segment", "status", *present)


def test_the_bridge_streams_on_2x_and_is_ignored_by_3x(recorder):
    assert bridge.init_sentry_streaming(HEROKU, transport=recorder, traces_sample_rate=1.0)

    with sentry_sdk.traces.start_span(name="Nightly import"):
        pass

    (span,) = streamed_spans(recorder)
    assert span["name"] == "Nightly import" and span["is_segment"]
    assert value(span, "sentry.trace_lifecycle") == "stream"
    assert recorder.transactions() == []


FULL_ENVIRON = {
    "SENTRY_DSN": TEST_DSN,
    "SENTRY_ENVIRONMENT": "staging",
    "SENTRY_RELEASE": "bahk@2.4.0",
    "SENTRY_TRACES_SAMPLE_RATE": "0.25",
}


@pytest.mark.parametrize("environ", [{"SENTRY_DSN": TEST_DSN}, FULL_ENVIRON])
def test_3x_options_are_bahks_with_the_transaction_options_replaced(environ):
    """The 3.x options follow bahk's: only the three keys the page names differ."""
    options_2x = bahk.sentry.sentry_options(environ)
    options_3x = sentry3.sentry_options(environ)
    assert options_2x.pop("before_send_transaction") is bahk.sentry.filter_transaction
    assert options_2x.pop("trace_ignore_status_codes") == {404, 405}
    assert options_3x.pop("before_send_span") is sentry3.filter_span
    integrations = [(type(i), vars(i)) for i in options_3x.pop("integrations")]
    assert integrations == [(type(i), vars(i)) for i in options_2x.pop("integrations")]
    assert options_3x == options_2x


@pytest.mark.django_db
def test_custom_spans_are_one_segment_with_children(init3, recorder, assert_payload):
    init3()
    create_fast(1, [("Paris", 10, 20), ("Cairo", 11, 21)], name="Ramadan 2026")
    create_fast(2, [("Rome", 12, 22)], name="Lent 2026")
    sentry_sdk.flush()
    recorder.clear()  # the fixtures' INSERTs: each a segment of its own (see below)

    assert transactions_and_spans.count_participants() == {"Ramadan 2026": 2, "Lent 2026": 1}

    spans = streamed_spans(recorder)
    assert recorder.transactions() == []
    (segment,) = [s for s in spans if s["is_segment"]]
    assert segment["name"] == "Count participants" and op(segment) == "task"
    by_name = {s["name"]: s for s in spans}
    assert by_name["Load fasts"]["parent_span_id"] == segment["span_id"]
    assert by_name["Count each fast"]["parent_span_id"] == segment["span_id"]
    per_fast = [by_name["Ramadan 2026"], by_name["Lent 2026"]]
    assert {s["parent_span_id"] for s in per_fast} == {by_name["Count each fast"]["span_id"]}
    assert all(op(s) == "fast.count" for s in per_fast)
    # Every span names its segment: Sentry puts the tree together from the spans.
    assert {value(s, "sentry.segment.id") for s in spans} == {segment["span_id"]}
    assert [op(s) for s in spans].count("db") == 3  # the SELECT and two COUNTs, nested
    # The same spans from 2.75 in stream mode and from 3.0.0b2: one recorded payload.
    assert_payload(
        "moving_to_sdk3/custom_spans",
        {"items": [shown(s, "sentry.op", "sentry.segment.name") for s in spans]},
    )


@pytest.mark.django_db
def test_a_query_outside_any_span_is_a_segment_of_its_own(init3, recorder):
    """2.x sends nothing for work outside a transaction; 3.x sends each such span."""
    init3()

    assert Fast.objects.count() == 0

    (segment,) = streamed_spans(recorder)
    assert segment["is_segment"] and op(segment) == "db"
    assert segment["name"].startswith('SELECT COUNT(*) AS "__count" FROM "hub_fast"')


@pytest.fixture
def map_app(init3, recorder, redis_url, wsgi) -> WSGIClient:
    init3()
    create_fast(1, [("Paris", 48.85, 2.35), ("Cairo", 30.04, 31.24)], name="Ramadan 2026")
    sentry_sdk.flush()
    recorder.clear()
    return wsgi


@pytest.mark.django_db
def test_map_view_spans_carry_attributes_not_tags(map_app, recorder, settings, assert_payload):
    settings.ROOT_URLCONF = fast_view.__name__  # the 3.x view
    assert map_app.get(MAP_ROUTE.format(fast_id=1)).status == 200

    spans = streamed_spans(recorder)
    (segment,) = [s for s in spans if s["is_segment"]]
    assert segment["name"] == MAP_ROUTE and op(segment) == "http.server"
    assert value(segment, "http.response.status_code") == 200
    (build,) = [s for s in spans if op(s) == "map.build"]
    assert build["name"] == "Build participants map" and value(build, "points") == 2
    signal_op = "function" if SDK3 else "event.django"  # Django's request_started receivers
    for span in [s for s in spans if op(s) != signal_op]:
        # set_attribute in the view and the global scope's attributes reach every span;
        # tags and contexts (fast, participants_map) reach error events only.
        assert value(span, "fast_id") == 1
        assert (value(span, "dyno"), value(span, "dyno_type")) == ("web.1", "web")
        assert not any(
            name.startswith(("fast.", "participants_map")) for name in span["attributes"]
        )
    redis_op = "db.query" if SDK3 else "db.redis"  # 3.0.0b2 renamed the Redis spans' op
    assert [op(s) for s in spans if op(s) in ("db", redis_op)].count(redis_op) == 2  # GET, SET
    # 3.0.0b2 also records Django's cache calls by default (2.x: cache_spans=True).
    cache_ops = [op(s) for s in spans if op(s) in ("cache.get", "cache.put")]
    assert cache_ops == (["cache.get", "cache.put"] if SDK3 else [])
    attributes = ("sentry.op", "fast_id", "dyno", "points", "http.response.status_code")
    assert_payload(
        "moving_to_sdk3/map_view_sdk3" if SDK3 else "moving_to_sdk3/map_view_bridge",
        {"items": [shown(s, *attributes) for s in spans if op(s) != signal_op]},
    )


@pytest.mark.django_db
def test_the_views_tag_breadcrumbs_and_contexts_reach_its_error_events(
    map_app, recorder, settings, monkeypatch
):
    settings.ROOT_URLCONF = fast_view.__name__

    def failing_response(data):
        raise RuntimeError("the response could not be sent")

    monkeypatch.setattr(fast_view, "JsonResponse", failing_response)
    url = MAP_ROUTE.format(fast_id=1)
    assert map_app.get(url).status == map_app.get(url).status == 500  # a miss, then a hit

    miss, hit = recorder.events()
    for event in (miss, hit):
        assert event["tags"]["fast_id"] == 1
        assert event["contexts"]["participants_map"] == {"points": 2, "participants": 2}

    def crumbs(event):
        return [c["message"] for c in event["breadcrumbs"]["values"] if c["category"] == "map"]

    assert crumbs(miss) == ["Participants map requested for fast 1", "Map cache miss: rebuilding"]
    assert crumbs(hit) == ["Participants map requested for fast 1", "Map served from cache"]
    fast = {"name": "Ramadan 2026", "starts_on": "2026-02-18", "ends_on": "2026-03-19"}
    assert miss["contexts"]["fast"] == fast
    assert "fast" not in hit["contexts"]  # set where the map is built, on a miss only


@pytest.mark.django_db
def test_a_404_is_sent_there_is_no_transaction_to_drop(map_app, recorder, settings, assert_payload):
    settings.ROOT_URLCONF = fast_view.__name__
    assert map_app.get("/wp-login.php").status == 404

    spans = streamed_spans(recorder)
    (segment,) = [s for s in spans if s["is_segment"]]
    assert value(segment, "http.response.status_code") == 404
    assert segment["status"] == "error"
    assert recorder.events() == []  # the 404 itself is still not an error event
    assert_payload(
        "moving_to_sdk3/not_found",
        {"items": [shown(segment, "sentry.op", "http.response.status_code", "url.path")]},
    )


@pytest.mark.django_db
def test_the_2x_span_call_fails_on_3x_and_does_nothing_in_stream_mode(
    init3, redis_url, recorder, wsgi
):
    """example_app/hub/views/fast.py as it is: `start_span(op=..., name=...)`."""
    init3()
    create_fast(1, [("Paris", 48.85, 2.35)], name="Ramadan 2026")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = wsgi.get(MAP_ROUTE.format(fast_id=1)).status

    if SDK3:
        # 3.x: sentry_sdk.start_span takes name= and attributes= only; the request fails.
        assert status == 500
        (event,) = recorder.events()
        error = event["exception"]["values"][-1]
        assert error["type"] == "TypeError"
        assert error["value"] == "start_span() got an unexpected keyword argument 'op'"
    else:
        # 2.75 in stream mode: the legacy call warns and returns a span that sends nothing.
        assert status == 200
        messages = [str(w.message) for w in caught if w.category is DeprecationWarning]
        assert messages == ["Scope.start_span is not available in streaming mode."]
        assert "Build participants map" not in [s["name"] for s in streamed_spans(recorder)]


def raw_user(span: dict) -> dict:
    """user.* attributes as a before_send_span hook sees them: plain values."""
    return {k: v for k, v in span["attributes"].items() if k.startswith("user.")}


def user_attributes(span: dict) -> dict:
    return {k: v["value"] for k, v in span["attributes"].items() if k.startswith("user.")}


@pytest.mark.django_db
@pytest.mark.parametrize("hook", ["filter_span", None])
def test_spans_keep_only_the_user_id(init3, recorder, monkeypatch, hook, wsgi):
    if hook is None:  # what the hook removes: what the SDK sends with "user_info" on
        monkeypatch.setattr(sentry3, "USER_SPAN_ATTRIBUTES", ())
    seen_by_own_hook = []
    with_user = {**bahk.sentry.DATA_COLLECTION, "user_info": True}
    init3(
        data_collection=with_user,
        # A hook of your own runs after bahk's, on the span bahk's hook edited.
        before_send_span=lambda span, hint: seen_by_own_hook.append(raw_user(span)) or span,
    )

    # A request through Heroku's router: the SDK takes the address from X-Forwarded-For.
    assert wsgi.get("/health/", headers={"X-Forwarded-For": "1.2.3.4"}).status == 200
    # A task that names its user (see the Context page): spans get user.* attributes.
    with sentry_sdk.isolation_scope():
        sentry_sdk.set_user({"id": "7", "username": "amina", "email": "amina@example.org"})
        with sentry_sdk.traces.start_span(name="Export participants"):
            pass

    request, task = [s for s in streamed_spans(recorder) if s["is_segment"]]
    assert seen_by_own_hook[-2:] == [user_attributes(request), user_attributes(task)]
    if hook:
        assert user_attributes(request) == {}
        assert user_attributes(task) == {"user.id": "7"}
    else:
        assert user_attributes(request) == {"user.ip_address": "1.2.3.4"}
        assert user_attributes(task) == {
            "user.id": "7",
            "user.name": "amina",
            "user.email": "amina@example.org",
        }


@pytest.mark.django_db
# Named ids: an id made of the snippet's value would change with a mutant of it (nox -s mutants).
@pytest.mark.parametrize("referer", [sentry3.REFERER, None], ids=["with-the-hook", "without"])
def test_spans_carry_the_referer_without_its_query(init3, recorder, monkeypatch, referer, wsgi):
    if referer is None:  # what the hook removes: what the SDK sends
        monkeypatch.setattr(sentry3, "REFERER", "no-such-attribute")
    init3()
    previous_page = "https://bahk.herokuapp.com/reset/?token=planted-reset-token#step-2"

    assert wsgi.get("/health/", headers={"Referer": previous_page}).status == 200

    (request,) = [s for s in streamed_spans(recorder) if s["is_segment"]]
    sent = value(request, "http.request.header.referer")
    if SDK3:  # a list of the header's values; 2.75 streaming sends the value itself
        (sent,) = sent
    if referer:
        assert sent == "https://bahk.herokuapp.com/reset/"
    else:
        assert sent == previous_page


def test_the_span_hook_cuts_each_referer_value_of_a_3x_span():
    # 3.x gives a header's values as a list (2.75 streaming, the value itself: above).
    urls = ["https://bahk.herokuapp.com/reset/?token=planted", "https://example.org/a#b?c"]
    span = {"attributes": {sentry3.REFERER: urls}}

    sent = sentry3.filter_span(span, {})["attributes"][sentry3.REFERER]

    assert sent == ["https://bahk.herokuapp.com/reset/", "https://example.org/a"]


@pytest.mark.django_db
@pytest.mark.parametrize("ignored", [ignore_spans.IGNORE_SPANS, None])
def test_ignore_spans_leaves_out_the_signal_spans(init3, recorder, ignored, wsgi):
    init3(ignore_spans=ignored)

    assert wsgi.get("/health/").status == 200

    names = [s["name"] for s in streamed_spans(recorder)]
    signals = ["django.db.reset_queries", "django.db.close_old_connections"]
    assert [n for n in names if n in signals] == ([] if ignored is not None else signals)
    assert "/health/" in names  # the request's own span stays


REMOVED_IN_3 = {
    "before_send_transaction": lambda event, hint: event,
    "trace_ignore_status_codes": frozenset({404}),
    "send_default_pii": False,
    "event_scrubber": 0,  # any value: 3.0 refuses the name
    "include_local_variables": False,
    "include_source_context": False,
    "profiles_sample_rate": 0.0,
    "enable_tracing": True,
}


@pytest.mark.parametrize("option", sorted(REMOVED_IN_3))
def test_options_removed_in_3_fail_at_init(recorder, option):
    options = {"dsn": TEST_DSN, "transport": recorder, option: REMOVED_IN_3[option]}
    if SDK3:
        with pytest.raises(TypeError, match=f"Unknown option '{option}'"):
            sentry_sdk.init(**options)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # some are deprecated in 2.x
            sentry_sdk.init(**options)
        assert option in sentry_sdk.get_client().options


@pytest.mark.django_db
def test_the_2x_traces_sampler_runs_unchanged(init3, recorder, wsgi):
    """3.x passes the sampler the same `wsgi_environ` and `parent_sampled` keys."""
    init3(traces_sampler=traces_sampler.traces_sampler)

    for path in ("/health/", "/admin/login/", "/wp-login.php"):
        wsgi.get(path)

    segments = [s["name"] for s in streamed_spans(recorder) if s["is_segment"]]
    assert segments == ["/wp-login.php"]  # health checks and admin pages: 0.0


def test_a_before_send_passed_to_the_3x_init_runs_after_bahks(init3, recorder):
    seen = []

    def hook(event, hint):
        seen.append(event["user"])
        return event

    init3(before_send=hook)
    sentry_sdk.set_user({"id": "7", "email": "amina@example.org"})
    sentry_sdk.capture_message("Map rebuilt by hand")

    assert seen == [{"id": "7"}]  # bahk's hook ran first: the user id and nothing else


def test_without_a_dsn_the_3x_setup_leaves_sentry_off(recorder):
    assert sentry3.sentry_options({"SENTRY_DSN": " "}) is None
    assert sentry3.init_sentry({}, transport=recorder) is False
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.django_db
def test_map_view_cache_hit_has_no_build_span(map_app, recorder, settings):
    settings.ROOT_URLCONF = fast_view.__name__
    assert map_app.get(MAP_ROUTE.format(fast_id=1)).status == 200  # miss: builds and caches
    sentry_sdk.flush()
    recorder.clear()

    assert map_app.get(MAP_ROUTE.format(fast_id=1)).status == 200

    spans = streamed_spans(recorder)
    assert "map.build" not in [op(s) for s in spans]
    (segment,) = [s for s in spans if s["is_segment"]]
    assert value(segment, "fast_id") == 1
