"""The exporter's polls against a scripted Langfuse over real HTTP: counting, windows, surfaces, restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_langfuse import NOW, PUBLIC_KEY, SECRET_KEY, FakeLangfuse, generation, iso, score
from langfuse_support import GEN, Clock, by_name, get, poll, settings, values

from exporters.base import CollectError
from exporters.langfuse.config import LangfuseSettings
from exporters.langfuse.sources import build_sources


def test_first_poll_is_a_baseline_and_later_events_count_once(
    fake: FakeLangfuse, url: str, clock: Clock
) -> None:
    fake.observations.append(generation("old", NOW - 30))
    sources = build_sources(settings(url), clock=clock)
    first = poll(sources)
    assert get(first, "llmon_langfuse_generations_total", **GEN) == 0.0
    assert first[("llmon_langfuse_newest_event_timestamp_seconds", ())] == NOW - 30

    fake.now += 15
    fake.observations.append(generation("new", NOW + 5))
    fake.scores.append(score("s1", NOW + 6, value="0.75"))
    second = poll(sources)
    fake.now += 15  # the overlap re-reads "new" and "s1": they must not count again
    third = poll(sources)
    for found in (second, third):
        assert get(found, "llmon_langfuse_generations_total", **GEN) == 1.0
        assert get(found, "llmon_langfuse_tokens_total", direction="output", **GEN) == 40.0
        assert get(found, "llmon_langfuse_cost_usd_total", **GEN) == pytest.approx(0.003)
        assert (
            get(
                found,
                "llmon_langfuse_observations_total",
                environment="production",
                type="GENERATION",
                level="DEFAULT",
            )
            == 1.0
        )
        labels = {"name": "helpfulness", "source": "EVAL", "data_type": "NUMERIC"}
        assert get(found, "llmon_langfuse_scores_total", **labels) == 1.0
        assert get(found, "llmon_langfuse_score_value_sum", **labels) == 0.75
    assert get(third, "llmon_langfuse_generation_latency_seconds_bucket", le="2", **GEN) == 1.0
    assert get(third, "llmon_langfuse_generation_latency_seconds_bucket", le="1", **GEN) == 0.0
    assert get(third, "llmon_langfuse_time_to_first_token_seconds_bucket", le="0.5", **GEN) == 1.0
    assert get(third, "llmon_langfuse_time_to_first_token_seconds_sum", **GEN) == pytest.approx(0.4)
    assert third[("llmon_langfuse_ingestion_lag_seconds", ())] == pytest.approx(fake.now - (NOW + 6))


def test_poll_cost_follows_the_window_not_the_history(fake: FakeLangfuse, url: str, clock: Clock) -> None:
    fake.observations.extend(generation(f"h{i}", NOW - 86400 + i) for i in range(3000))
    sources = build_sources(settings(url), clock=clock)
    poll(sources)
    fake.log.clear()
    fake.now += 15
    poll(sources)
    assert fake.calls("/api/public/v2/observations") == 1
    assert fake.calls("/api/public/v3/scores") == 1


def test_surfaces_fall_back_from_v4_to_v3_to_v2_on_404(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    fake.api = "v2"
    fake.healthy = True
    sources = build_sources(settings(url), clock=clock)
    named = by_name(sources)
    list(named["events"].collect())  # no version known yet: tries v4, v3, then v2
    assert fake.calls("/api/public/v2/observations") == 1
    assert fake.calls("/api/public/v2/scores") == 1  # v3's scores path, then v2's
    assert fake.calls("/api/public/scores") == 1
    info = values(named["health"].collect())
    assert info[("llmon_langfuse_info", (("api", "v2"), ("version", "2.95.12")))] == 1.0


def test_a_version_2_server_is_read_as_v2_without_probing(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    fake.api = "v2"
    sources = build_sources(settings(url), clock=clock)
    poll(sources)
    assert fake.calls("/api/public/v2/observations") == 0
    assert fake.calls("/api/public/observations") == 1


def test_v3_server_uses_legacy_pages(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    fake.api = "v3"
    sources = build_sources(settings(url), clock=clock)
    poll(sources)
    fake.now += 15
    fake.observations.extend(generation(f"g{i}", NOW + i * 0.01) for i in range(250))  # 3 pages of 100
    found = poll(sources)
    assert get(found, "llmon_langfuse_generations_total", **GEN) == 250.0
    info = values(by_name(sources)["health"].collect())
    assert info[("llmon_langfuse_info", (("api", "v3"), ("version", "3.225.4")))] == 1.0


def test_restart_without_state_never_counts_twice(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    sources = build_sources(settings(url), clock=clock)
    poll(sources)
    fake.now += 15
    fake.observations.append(generation("a", NOW + 10))
    assert get(poll(sources), "llmon_langfuse_generations_total", **GEN) == 1.0
    restarted = build_sources(settings(url), clock=clock)
    fake.now += 15
    assert get(poll(restarted), "llmon_langfuse_generations_total", **GEN) == 0.0  # "a" is in the baseline
    fake.now += 15
    fake.observations.append(generation("b", NOW + 40))
    assert get(poll(restarted), "llmon_langfuse_generations_total", **GEN) == 1.0


def test_state_file_resumes_totals_and_catches_up(
    url: str, fake: FakeLangfuse, clock: Clock, tmp_path: Path
) -> None:
    state = tmp_path / "langfuse-state.json"
    sources = build_sources(settings(url, state_file=state), clock=clock)
    poll(sources)
    fake.now += 15
    fake.observations.append(generation("a", NOW + 10))
    assert get(poll(sources), "llmon_langfuse_generations_total", **GEN) == 1.0
    fake.now += 7200  # down two hours; events kept arriving
    fake.observations.extend(generation(f"late{i}", NOW + 600 + i * 60) for i in range(100))
    restarted = build_sources(settings(url, state_file=state), clock=clock)
    first = poll(restarted)
    caught_up = sum(1 for i in range(100) if 600 + i * 60 < 15 + 3600)  # one max-window past the watermark
    assert get(first, "llmon_langfuse_generations_total", **GEN) == 1.0 + caught_up
    final = poll(restarted)
    assert get(final, "llmon_langfuse_generations_total", **GEN) == 101.0
    assert PUBLIC_KEY not in state.read_text() and SECRET_KEY not in state.read_text()


def test_state_of_another_project_is_ignored(
    url: str, fake: FakeLangfuse, clock: Clock, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    state.write_text(
        '{"format": 1, "target": "someone-else", "totals": {"counters": {"generations": [[["x", "y"], 5]]}}}'
    )
    found = poll(build_sources(settings(url, state_file=state), clock=clock))
    assert get(found, "llmon_langfuse_generations_total", model="x", environment="y") == 0.0


def test_running_observations_count_once_complete(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    sources = build_sources(settings(url), clock=clock)
    poll(sources)
    running = generation("r", NOW + 5, endTime=None, latency=None)
    fake.observations.append(running)
    fake.now += 15
    assert get(poll(sources), "llmon_langfuse_generations_total", **GEN) == 0.0
    running.update(endTime=iso(NOW + 9), latency=4.0)
    fake.now += 15
    found = poll(sources)
    assert get(found, "llmon_langfuse_generations_total", **GEN) == 1.0
    assert get(found, "llmon_langfuse_generation_latency_seconds_bucket", le="3", **GEN) == 0.0
    assert get(found, "llmon_langfuse_generation_latency_seconds_bucket", le="5", **GEN) == 1.0


def test_bad_input_is_counted_and_survived(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    sources = build_sources(settings(url), clock=clock)
    poll(sources)
    t = NOW + 5
    fake.observations.extend(
        [
            generation("nomodel", t, model=None, costDetails=None, totalCost=-1, latency=-1),
            generation("badlevel", t, level="LOUD", usageDetails={"input": "many"}),
            {"id": "no-time", "type": "SPAN"},
            {"type": "SPAN", "startTime": iso(t)},
        ]
    )
    fake.scores.extend(
        [
            score("weird", t, data_type="HISTOGRAM"),
            score("bool3", t, name="liked", value=True, data_type="BOOLEAN"),
            score("bool2", t, name="liked", value=0, data_type="BOOLEAN", stringValue="False"),
            score("cat", t, name="tone", value="rude", data_type="CATEGORICAL"),
            score("nan", t, value="high"),
        ]
    )
    fake.now += 15
    found = poll(sources)
    assert get(found, "llmon_langfuse_generations_total", model="unknown", environment="production") == 1.0
    assert get(found, "llmon_langfuse_cost_usd_total", model="unknown", environment="production") == 0.0
    assert (
        "llmon_langfuse_generation_latency_seconds_count",
        (("environment", "production"), ("model", "unknown")),
    ) in found
    assert (
        get(
            found,
            "llmon_langfuse_observations_total",
            environment="production",
            type="GENERATION",
            level="DEFAULT",
        )
        == 2.0
    )
    for kind, problem, count in (
        ("observation", "no_time", 1),
        ("observation", "no_id", 1),
        ("observation", "unknown_level", 1),
        ("observation", "bad_input", 1),
        ("score", "unknown_data_type", 1),
        ("score", "bad_value", 1),
    ):
        assert get(found, "llmon_langfuse_bad_input_total", kind=kind, problem=problem) == count
    liked = {"name": "liked", "source": "EVAL", "data_type": "BOOLEAN"}
    assert get(found, "llmon_langfuse_scores_total", **liked) == 2.0
    assert get(found, "llmon_langfuse_score_value_sum", **liked) == 1.0
    assert (
        get(found, "llmon_langfuse_score_categories_total", name="tone", source="EVAL", value="rude") == 1.0
    )
    assert "" not in {dict(labels).get("model") for _, labels in found}


def test_label_caps_fold_values_into_other(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    sources = build_sources(settings(url, max_models=2), clock=clock)
    poll(sources)
    fake.observations.extend(generation(f"m{i}", NOW + 5, model=f"model-{i}") for i in range(5))
    fake.now += 15
    found = poll(sources)
    models = {dict(labels)["model"] for name, labels in found if name == "llmon_langfuse_generations_total"}
    assert len(models) == 3 and "other" in models
    assert sum(v for (n, _), v in found.items() if n == "llmon_langfuse_generations_total") == 5.0
    assert get(found, "llmon_langfuse_label_values_dropped_total", label="model") == 3.0


def test_rate_limit_pauses_only_that_resource(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    fake.api = "v3"  # legacy observations and v2 scores are budgeted as different resources
    sources = build_sources(settings(url), clock=clock)
    poll(sources)
    fake.fail(
        "/api/public/observations",
        429,
        headers={"Retry-After": "120", "X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "30"},
    )
    fake.headers = {"X-RateLimit-Remaining": "25", "X-RateLimit-Limit": "30"}
    fake.scores.append(score("s", NOW + 5))
    fake.now += 15
    with pytest.raises(CollectError) as raised:
        list(by_name(sources)["events"].collect())
    assert raised.value.reason == "rate_limited"
    fake.log.clear()
    clock.now += 60  # within Retry-After: the paused resource gets no request, the others do
    with pytest.raises(CollectError):
        list(by_name(sources)["events"].collect())
    assert fake.calls("/api/public/observations") == 0
    assert fake.calls("/api/public/v2/scores") == 1
    clock.now += 61
    found = poll(sources)
    assert fake.calls("/api/public/observations") == 1
    assert (
        get(found, "llmon_langfuse_scores_total", name="helpfulness", source="EVAL", data_type="NUMERIC")
        == 1.0
    )
    assert (
        get(found, "llmon_langfuse_api_requests_total", endpoint="/api/public/observations", code="429")
        == 1.0
    )
    assert get(found, "llmon_langfuse_rate_limit_remaining", resource="public-api") == 25.0


def test_wrong_keys_are_an_auth_error_without_the_keys(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    wrong = LangfuseSettings(langfuse_url=url, public_key=PUBLIC_KEY, secret_key="sk-lf-WRONG-secret-1")
    events = by_name(build_sources(wrong, clock=clock))["events"]
    with pytest.raises(CollectError) as raised:
        list(events.collect())
    assert raised.value.reason == "auth"
    assert "sk-lf" not in raised.value.message and PUBLIC_KEY not in raised.value.message
    fake.log.clear()
    for _ in range(3):  # two failures in a row started a backoff: no request storm
        with pytest.raises(CollectError):
            list(events.collect())
    assert fake.log == []
    clock.now += 31  # past the backoff (twice the interval): one request, which fails and backs off again
    with pytest.raises(CollectError):
        list(events.collect())
    assert len(fake.log) == 1


@pytest.mark.parametrize(
    "case",
    [
        (500, b'{"message":"Timeout error"}', "timeout"),
        (524, b"<html>timeout</html>", "timeout"),
        (503, b'{"message":"Service Unavailable"}', "http_status"),
        (200, b'{"data": [{"id": "x", "startTi', "malformed"),
        (200, b'{"data": {"not": "a list"}}', "malformed"),
    ],
)
def test_upstream_failures_are_classified_and_nothing_is_lost(
    url: str, fake: FakeLangfuse, clock: Clock, case: tuple[int, bytes, str]
) -> None:
    status, body, reason = case
    sources = build_sources(settings(url), clock=clock)
    poll(sources)
    fake.observations.append(generation("g", NOW + 5))
    fake.now += 15
    fake.fail("/api/public/v2/observations", status, body)
    with pytest.raises(CollectError) as raised:
        list(by_name(sources)["events"].collect())
    assert raised.value.reason == reason
    fake.now += 15
    assert get(poll(sources), "llmon_langfuse_generations_total", **GEN) == 1.0


def test_health_down_is_a_value(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    health = by_name(build_sources(settings(url), clock=clock))["health"]
    assert values(health.collect())[("llmon_langfuse_healthy", ())] == 1.0
    fake.healthy = False
    assert values(health.collect())[("llmon_langfuse_healthy", ())] == 0.0


def test_health_unreachable_is_a_value(clock: Clock) -> None:
    health = by_name(build_sources(settings("http://127.0.0.1:9"), clock=clock))["health"]
    assert values(health.collect())[("llmon_langfuse_healthy", ())] == 0.0


def test_every_level_of_a_seen_type_is_exposed(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    sources = build_sources(settings(url), clock=clock)
    poll(sources)
    fake.observations.append(generation("e", NOW + 5, level="ERROR"))
    fake.now += 15
    found = poll(sources)
    levels = {
        dict(labels)["level"]: value
        for (name, labels), value in found.items()
        if name == "llmon_langfuse_observations_total"
    }
    assert levels == {"ERROR": 1.0, "WARNING": 0.0, "DEFAULT": 0.0, "DEBUG": 0.0}


def test_initial_lookback_counts_history_once(
    url: str, fake: FakeLangfuse, clock: Clock, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    fake.observations.extend(generation(f"h{i}", NOW - 3000 + i) for i in range(4))
    fake.observations.append(generation("too-old", NOW - 4000))
    configured = settings(url, state_file=state, initial_lookback="1h")
    assert get(poll(build_sources(configured, clock=clock)), "llmon_langfuse_generations_total", **GEN) == 4.0
    fake.now += 15
    assert get(poll(build_sources(configured, clock=clock)), "llmon_langfuse_generations_total", **GEN) == 4.0


def test_initial_lookback_needs_a_state_file() -> None:
    with pytest.raises(ValueError, match=r"needs --state\.file"):
        settings("http://127.0.0.1:3000", initial_lookback=600)


def test_a_clock_that_goes_back_starts_a_new_baseline(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    sources = build_sources(settings(url), clock=clock)
    poll(sources)
    fake.now -= 86400
    fake.observations.append(generation("x", fake.now - 5))
    assert get(poll(sources), "llmon_langfuse_generations_total", **GEN) == 0.0
    fake.observations.append(generation("y", fake.now + 5))
    fake.now += 15
    assert get(poll(sources), "llmon_langfuse_generations_total", **GEN) == 1.0
