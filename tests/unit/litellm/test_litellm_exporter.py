"""The LiteLLM exporter against the twin over real HTTP, and against a transport that misbehaves."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable

import httpx
import pytest
from litellm_support import MASTER_KEY, SetClock
from prometheus_client import Metric
from prometheus_client.parser import text_string_to_metric_families

from exporters.base import CollectError, ExporterServer, Source
from exporters.litellm.__main__ import SPEC
from exporters.litellm.activity import ActivitySource
from exporters.litellm.client import ProxyClient
from exporters.litellm.config import LitellmSettings
from exporters.litellm.sources import build_sources
from mock.twins.litellm.server import LitellmTwin

Values = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _settings(url: str, key: str = MASTER_KEY, **extra: object) -> LitellmSettings:
    return LitellmSettings(litellm_url=url, master_key=key, collect_interval=1, **extra)  # type: ignore[arg-type]


def _values(families: Iterable[Metric]) -> Values:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def _collect(sources: list[Source]) -> Values:
    return _values(family for source in sources for family in source.collect())


def _team_total(values: Values, team: str, measure: str = "spend_usd") -> float:
    return values[(f"llmon_litellm_team_{measure}_total", (("team", team),))]


def _truth_today(twin: LitellmTwin, alias: str, field: str = "spend") -> float:
    gateway = twin.clock.gateway()
    team = next(t for t in gateway.world.teams.values() if t.alias == alias)
    return sum(getattr(f, field) for f in gateway.live_days[gateway.today] if f.team_id == team.team_id)


def test_first_poll_is_the_baseline_and_later_growth_matches_the_twin(
    twin: LitellmTwin, set_clock: SetClock
) -> None:
    sources = build_sources(_settings(twin.url))
    first = _collect(sources)
    assert _team_total(first, "search") == 0.0
    before = _truth_today(twin, "search")
    set_clock(1800.0)
    second = _collect(sources)
    assert _team_total(second, "search") == pytest.approx(_truth_today(twin, "search") - before, abs=1e-6)
    requests = _truth_today(twin, "search", "api_requests")
    set_clock(3600.0)
    third = _collect(sources)
    assert _team_total(third, "search", "requests") - _team_total(
        second, "search", "requests"
    ) == pytest.approx(_truth_today(twin, "search", "api_requests") - requests)


def test_levels_come_from_the_admin_lists(twin: LitellmTwin) -> None:
    values = _collect(build_sources(_settings(twin.url)))
    gateway = twin.clock.gateway()
    research = next(t for t in gateway.world.teams.values() if t.alias == "research")
    label = (("team", "research"),)
    assert values[("llmon_litellm_team_budget_spend_usd", label)] == pytest.approx(
        gateway.team_spend[research.team_id]
    )
    assert values[("llmon_litellm_team_budget_utilisation_ratio", label)] == pytest.approx(
        gateway.team_spend[research.team_id] / research.budget.max_budget
    )
    assert ("llmon_litellm_team_max_budget_usd", (("team", "platform"),)) not in values  # unlimited: absent
    assert values[("llmon_litellm_alive", ())] == 1.0 and values[("llmon_litellm_db_connected", ())] == 1.0
    keys = [labels for name, labels in values if name == "llmon_litellm_key_info"]
    assert len(keys) == 24
    assert any(dict(labels)["key"].startswith("hash:") and len(dict(labels)["key"]) == 13 for labels in keys)


def test_a_day_rollover_counts_the_end_of_yesterday_and_the_start_of_today(
    twin: LitellmTwin, set_clock: SetClock
) -> None:
    start = 19 * 3600.0 - 60  # 23:59 UTC of day 0
    set_clock(start)
    sources = build_sources(_settings(twin.url))
    _collect(sources)
    yesterday_before = _truth_today(twin, "search")
    set_clock(start + 3600.0)
    after = _collect(sources)
    gateway = twin.clock.gateway()
    assert gateway.today == 1
    team = next(t for t in gateway.world.teams.values() if t.alias == "search")
    yesterday_final = sum(f.spend for f in gateway.live_days[0] if f.team_id == team.team_id)
    expected = (yesterday_final - yesterday_before) + _truth_today(twin, "search")
    assert _team_total(after, "search") == pytest.approx(expected, abs=1e-6)


def test_a_budget_reset_drops_the_level_but_never_the_counter(twin: LitellmTwin, set_clock: SetClock) -> None:
    gateway = twin.clock.gateway()
    team = next(t for t in gateway.world.teams.values() if t.budget and t.budget.duration_days == 7)
    boundary = team.budget.reset_day * 86400 - (gateway.origin % 86400)
    set_clock(boundary - 3600)
    sources = build_sources(_settings(twin.url))
    before = _collect(sources)
    set_clock(boundary + 3600)
    after = _collect(sources)
    label = (("team", team.alias),)
    assert (
        after[("llmon_litellm_team_budget_spend_usd", label)]
        < before[("llmon_litellm_team_budget_spend_usd", label)]
    )
    assert _team_total(after, team.alias) > _team_total(before, team.alias)


def test_an_exporter_restart_never_counts_history_again(twin: LitellmTwin, set_clock: SetClock) -> None:
    _collect(build_sources(_settings(twin.url)))
    set_clock(600.0)
    restarted = build_sources(_settings(twin.url))
    assert _team_total(_collect(restarted), "search") == 0.0  # a counter reset, not the day again
    before = _truth_today(twin, "search")
    set_clock(1200.0)
    assert _team_total(_collect(restarted), "search") == pytest.approx(_truth_today(twin, "search") - before)


def test_a_wrong_key_fails_once_per_backoff_without_a_storm(twin: LitellmTwin) -> None:
    now = [0.0]
    client = ProxyClient(httpx.Client(base_url=twin.url), "sk-wrong", interval=15.0, clock=lambda: now[0])
    source = ActivitySource(client, {}, lambda: twin.clock.gateway().now)
    for _ in range(5):
        with pytest.raises(CollectError) as caught:
            list(source.collect())
        assert caught.value.reason == "auth" and "sk-wrong" not in caught.value.message
        now[0] += 15.0
    assert twin.api.requests["/user/daily/activity"] == 3  # polls 1 and 2, then 30 s backoff, then one


def test_429_retry_after_is_honoured(twin: LitellmTwin, set_clock: SetClock) -> None:
    set_clock(70.0, "rate-limited")  # the throttled phase
    now = [0.0]
    client = ProxyClient(httpx.Client(base_url=twin.url), MASTER_KEY, interval=1.0, clock=lambda: now[0])
    source = ActivitySource(client, {}, lambda: twin.clock.gateway().now)
    reasons = []
    for _ in range(12):
        try:
            list(source.collect())
            reasons.append("ok")
        except CollectError as exc:
            reasons.append(exc.reason)
        now[0] += 1.0
    assert "rate_limited" in reasons
    assert _admin_requests(twin) <= 5  # 4 admitted + the one 429; every later poll waited for Retry-After


def test_the_first_poll_reads_the_proxys_days_not_the_exporters(twin: LitellmTwin) -> None:
    """With the exporter's clock a month off the proxy's, the baseline is still the proxy's today and
    yesterday: the next poll, with nothing new in between, adds nothing."""
    client = ProxyClient(httpx.Client(base_url=twin.url), MASTER_KEY, interval=1.0)
    source = ActivitySource(client, {}, lambda: twin.clock.gateway().now - 30 * 86400)
    first = _values(source.collect())
    assert _team_total(first, "search") == 0.0
    assert _team_total(_values(source.collect()), "search") == 0.0


def _scraped(server: ExporterServer) -> Values:
    return _values(text_string_to_metric_families(httpx.get(server.url + "/metrics").text))


def _admin_requests(twin: LitellmTwin) -> int:
    return sum(count for path, count in twin.api.requests.items() if not path.startswith("/health"))


def test_while_rate_limited_the_last_figures_stay_served_and_the_wait_is_shown(
    twin: LitellmTwin, set_clock: SetClock
) -> None:
    """A 429 leaves the last good snapshot in place (up 0, the error counted), shows the Retry-After
    being waited out, and sends nothing more until it has passed."""
    with ExporterServer(SPEC, _settings(twin.url, web_listen_address="127.0.0.1:0")) as server:
        _wait_ready(server)
        before = _scraped(server)
        spend = ("llmon_litellm_team_spend_usd_total", (("team", "search"),))
        budget = ("llmon_litellm_team_budget_spend_usd", (("team", "research"),))
        assert spend in before and budget in before
        set_clock(70.0, "rate-limited")  # throttled; the twin saw far more than 4 calls in the last minute
        # The rate-limit figures come from the health source, on its own loop: wait for both to agree.
        throttled = _wait_until(
            lambda: _scraped(server),
            lambda v: all(v[("llmon_exporter_up", (("source", s),))] == 0 for s in ("admin", "activity"))
            and v[("llmon_litellm_rate_limited_responses_total", ())] >= 1,
        )
        assert throttled[spend] == before[spend] and throttled[budget] == before[budget]
        wait = throttled[("llmon_litellm_backoff_seconds", (("reason", "rate_limited"),))]
        assert 0 < wait <= 60
        errors = ("llmon_exporter_collect_errors_total", (("reason", "rate_limited"), ("source", "activity")))
        assert throttled[errors] >= 1
        sent = _admin_requests(twin)
        skipped = ("llmon_litellm_requests_skipped_total", (("reason", "rate_limited"),))
        later = _wait_until(lambda: _scraped(server), lambda v: v[skipped] >= throttled[skipped] + 3)
        assert _admin_requests(twin) == sent  # three more polls held back, none sent
        assert later[spend] == before[spend]


def _wait_until(read: Callable[[], Values], done: Callable[[Values], bool]) -> Values:
    deadline = time.monotonic() + 30
    while not done(value := read()):
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)
    return value


def _transport_sources(handler: Callable[[httpx.Request], httpx.Response]) -> list[Source]:
    http = httpx.Client(base_url="http://litellm.test", transport=httpx.MockTransport(handler))
    return build_sources(_settings("http://litellm.test"), http=http, wall_clock=lambda: 1_790_000_000.0)


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(500, json={"detail": {"error": "DB not connected"}}), "http_status"),
        (httpx.Response(200, text="<html>bad gateway</html>"), "malformed"),
        (httpx.Response(200, json={"detail": "Not authenticated"}), "malformed"),
        (httpx.Response(200, json=["not", "an", "object"]), "malformed"),
    ],
)
def test_bad_answers_are_counted_by_reason(response: httpx.Response, reason: str) -> None:
    admin = _transport_sources(lambda request: response)[1]
    with pytest.raises(CollectError) as caught:
        list(admin.collect())
    assert caught.value.reason == reason


def test_timeouts_are_a_reason_of_their_own() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(CollectError) as caught:
        list(_transport_sources(slow)[2].collect())
    assert caught.value.reason == "timeout"


def test_schema_drift_is_survived() -> None:
    """Nulls, "inf" budgets, missing fields and unknown extras from other LiteLLM versions."""
    bodies = {
        "/model/info": {"data": [{"model_name": "m", "model_info": None}, "junk"]},
        "/key/list": {
            "keys": [
                {"token": "ab" * 32, "spend": None, "max_budget": "inf"},
                {
                    "token": "cd" * 32,
                    "key_alias": "ci",
                    "spend": "3.5",
                    "max_budget": 7,
                    "expires": "2030-01-01T00:00:00Z",
                    "budget_reset_at": "not a date",
                    "new_field": {"x": 1},
                },
            ],
            "total_pages": 1,
        },
        "/v2/team/list": {"teams": [{"team_id": "t1", "max_budget": None, "spend": 1.0}], "total_pages": 1},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=bodies[request.url.path])

    values = _collect([_transport_sources(handler)[1]])
    assert values[("llmon_litellm_key_budget_utilisation_ratio", (("key", "ci"),))] == 0.5
    assert ("llmon_litellm_key_max_budget_usd", (("key", "hash:abababab"),)) not in values
    assert values[("llmon_litellm_key_budget_spend_usd", (("key", "hash:abababab"),))] == 0.0
    assert ("llmon_litellm_team_max_budget_usd", (("team", "t1"),)) not in values


def test_a_page_count_that_changes_while_reading_drops_the_poll() -> None:
    pages = iter([2, 3])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/health"):
            return httpx.Response(200, json="I'm alive!")
        return httpx.Response(200, json={"results": [], "metadata": {"total_pages": next(pages, 3)}})

    with pytest.raises(CollectError) as caught:
        list(_transport_sources(handler)[2].collect())
    assert caught.value.reason == "malformed"


def test_label_caps_fold_the_rest_into_other(twin: LitellmTwin, set_clock: SetClock) -> None:
    sources = build_sources(_settings(twin.url, max_keys=5))
    _collect(sources)
    set_clock(600.0)
    values = _collect(sources)
    keys = {dict(labels)["key"] for name, labels in values if name == "llmon_litellm_key_spend_usd_total"}
    assert len(keys) == 6 and "other" in keys
    assert values[("llmon_litellm_label_values_dropped_total", (("kind", "key"),))] == 19


def _wait_ready(server: ExporterServer) -> None:
    """Every source has finished its first collection (readyz), however long that takes here."""
    deadline = time.monotonic() + 30
    while httpx.get(server.url + "/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the exporter never became ready"
        time.sleep(0.05)


def test_the_secret_never_reaches_logs_or_metrics(
    twin: LitellmTwin, set_clock: SetClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts = []
    for key in (MASTER_KEY, MASTER_KEY[::-1]):
        with ExporterServer(
            SPEC, _settings(twin.url, key, scrape_metrics=True, web_listen_address="127.0.0.1:0")
        ) as server:
            _wait_ready(server)
            texts.append(httpx.get(server.url + "/metrics").text)
    assert "llmon_litellm_alive 1.0" in texts[0]
    assert 'llmon_exporter_up{source="admin"} 0.0' in texts[1]
    for secret in (MASTER_KEY, MASTER_KEY[::-1]):
        assert secret not in caplog.text and all(secret not in text for text in texts)
    assert "hashed_api_key" not in texts[0] and "user_email" not in texts[0]


def test_promtool_accepts_the_exposition(twin: LitellmTwin, set_clock: SetClock, tmp_path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed")
    set_clock(600.0, "provider-outage")
    with ExporterServer(
        SPEC, _settings(twin.url, scrape_metrics=True, web_listen_address="127.0.0.1:0")
    ) as server:
        _wait_ready(server)
        text = httpx.get(server.url + "/metrics").text
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'llmon_litellm_deployment_state{model="anthropic/claude-3-5-sonnet-20241022"' in text
    assert json.dumps("llmon_litellm_request_latency_seconds_bucket")[1:-1] in text


def test_check_config_needs_a_master_key(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.delenv("LLMON_LITELLM_MASTER_KEY", raising=False)
    from exporters.base import run  # noqa: PLC0415

    assert run(SPEC, ["--check-config"]) == 2
    assert capsys.readouterr().err.strip().startswith("llmon-litellm-exporter: error: --master-key: required")
