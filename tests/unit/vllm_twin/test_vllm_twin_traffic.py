"""The engines' traffic as scenarios shape it: exact, monotonic, and within the thresholds alerts use."""

from __future__ import annotations

import math

import pytest

from mock.scenario import Scenario
from mock.twins.vllm.exposition import TTFT_BUCKETS
from mock.twins.vllm.gauges import scheduler_gauges
from mock.twins.vllm.live import LiveBook
from mock.twins.vllm.traffic import EngineTimeline, lognormal
from mock.twins.vllm.world import Engine

LLAMA, QWEN = "vllm-llama", "vllm-qwen"


def _engine(engines: list[Engine], name: str) -> Engine:
    return next(e for e in engines if e.deployment == name)


def _slow_share(timeline: EngineTimeline, a: float, b: float, threshold: float = 1.0) -> float:
    """Share of requests in [a, b] whose TTFT was above ``threshold`` (what the latency SLI counts)."""
    totals = timeline.histogram("ttft", (threshold, math.inf), timeline.weights(a, b))
    return 1.0 - totals.buckets[0] / totals.count


def test_seeded_engines_are_the_host_vllm_containers(seeded_engines: list[Engine]) -> None:
    by_name = {e.deployment: e for e in seeded_engines}
    assert set(by_name) == {LLAMA, QWEN}
    assert (by_name[LLAMA].port, by_name[QWEN].port) == (8000, 8001)
    assert by_name[LLAMA].container == "llm-vllm-0-1" and by_name[QWEN].container == "llm-vllm-1-1"
    assert by_name[LLAMA].model_name == "meta-llama/Llama-3.1-70B-Instruct"
    assert [m.parent for m in by_name[QWEN].models] == [None, "Qwen/Qwen2.5-7B-Instruct"]


def test_counters_never_decrease_across_scenarios(
    seeded_engines: list[Engine], scenarios: dict[str, Scenario]
) -> None:
    engine = _engine(seeded_engines, LLAMA)
    timeline = EngineTimeline(engine, [(scenarios["normal"], 1000.0), (scenarios["peak-load"], 400.0)])
    previous: dict[str, float] = {}
    for tau in range(0, 1400, 37):
        counters = timeline.counters(timeline.weights(-3600.0, float(tau)))
        for name, value in counters.items():
            assert value >= previous.get(name, 0.0), (name, tau)
        previous = counters


def test_request_rate_follows_the_traffic_multiplier(
    seeded_engines: list[Engine], scenarios: dict[str, Scenario]
) -> None:
    engine = _engine(seeded_engines, QWEN)
    timeline = EngineTimeline(engine, [(scenarios["peak-load"], 900.0)])
    requests = timeline.counters(timeline.weights(300.0, 600.0))["requests"] / 300.0
    assert requests == pytest.approx(engine.calm_requests_per_s * 2.6)


def test_histogram_buckets_are_cumulative_and_count_matches(
    seeded_engines: list[Engine], scenarios: dict[str, Scenario]
) -> None:
    timeline = EngineTimeline(_engine(seeded_engines, LLAMA), [(scenarios["normal"], 900.0)])
    totals = timeline.histogram("ttft", (*TTFT_BUCKETS, math.inf), timeline.weights(0.0, 900.0))
    assert list(totals.buckets) == sorted(totals.buckets)
    assert totals.count == pytest.approx(timeline.counters(timeline.weights(0.0, 900.0))["requests"])
    mu, sigma = lognormal(0.14, 0.38)
    assert totals.total / totals.count == pytest.approx(math.exp(mu + sigma**2 / 2), rel=0.05)


def test_normal_keeps_ttft_within_the_objective(
    seeded_engines: list[Engine], scenarios: dict[str, Scenario]
) -> None:
    for engine in seeded_engines:
        timeline = EngineTimeline(engine, [(scenarios["normal"], 900.0)])
        assert _slow_share(timeline, 0.0, 900.0) < 0.01


def test_slo_ttft_burn_pushes_slow_requests_past_the_page_threshold(
    seeded_engines: list[Engine], scenarios: dict[str, Scenario]
) -> None:
    for engine in seeded_engines:
        timeline = EngineTimeline(engine, [(scenarios["slo-ttft-burn"], 900.0)])
        assert _slow_share(timeline, 0.0, 120.0) < 0.05  # still drifting
        assert _slow_share(timeline, 300.0, 900.0) > 0.144  # 14.4 x a 1 % error budget


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("vllm-kv-cache-saturation", (0.95, 10, True)),
        ("peak-load", (0.9, 10, True)),
        ("normal", (0.0, 0, False)),
    ],
)
def test_scheduler_pressure(
    seeded_engines: list[Engine],
    scenarios: dict[str, Scenario],
    scenario: str,
    expected: tuple[float, int, bool],
) -> None:
    kv_above, waiting_at_least, preempting = expected
    engine = _engine(seeded_engines, LLAMA)
    timeline = EngineTimeline(engine, [(scenarios[scenario], 900.0)])
    for tau in (300.0, 450.0, 600.0, 890.0):
        running, waiting, kv = scheduler_gauges(engine, timeline.load_at(tau), tau, LiveBook())
        assert kv > kv_above and waiting >= waiting_at_least and running <= engine.max_num_seqs
        if scenario == "normal":
            assert kv < 0.8 and waiting < 5
    preemptions = timeline.counters(timeline.weights(300.0, 900.0))["preemptions"]
    assert (preemptions > 10) is preempting


def test_saturation_leaves_the_other_engine_calm(
    seeded_engines: list[Engine], scenarios: dict[str, Scenario]
) -> None:
    engine = _engine(seeded_engines, QWEN)
    timeline = EngineTimeline(engine, [(scenarios["vllm-kv-cache-saturation"], 900.0)])
    _, waiting, kv = scheduler_gauges(engine, timeline.load_at(600.0), 600.0, LiveBook())
    assert kv < 0.5 and waiting < 5
