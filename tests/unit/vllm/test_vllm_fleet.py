"""The engines' cycle against fake engines over real HTTP: every cause of failure is counted on its
own engine, the others are unaffected, restarts are seen once, and the exposition is valid."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from prometheus_client import Metric
from prometheus_client.parser import text_string_to_metric_families
from vllm_fakeengine import MODEL, V0_PAGE, V1_PAGE, FakeEngine

from exporters.base import ExporterServer
from exporters.vllm.__main__ import SPEC
from exporters.vllm.config import VllmSettings
from exporters.vllm.engine import EnginePoller
from exporters.vllm.fleet import EnginesSource
from exporters.vllm.targets import TargetRegistry, parse_static

Values = dict[tuple[str, tuple[tuple[str, str], ...]], float]
TIMEOUT = 0.5


def _values(families: list[Metric]) -> Values:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


def _get(values: Values, name: str, **labels: str) -> float:
    return values[(name, tuple(sorted(labels.items())))]


def _fleet(*targets: str, concurrency: int = 4) -> tuple[EnginesSource, TargetRegistry]:
    registry = TargetRegistry()
    registry.replace("static", [parse_static(t) for t in targets])
    client = httpx.Client(timeout=TIMEOUT)
    return EnginesSource(registry, EnginePoller(client, TIMEOUT), concurrency), registry


def test_each_failure_is_counted_on_its_own_engine_and_the_healthy_ones_are_served(
    engines: Callable[..., FakeEngine],
) -> None:
    good, legacy, html, cut, drop, slow, failing = (engines() for _ in range(7))
    legacy.page, legacy.version = V0_PAGE, "0.6.3"
    html.mode, cut.mode, drop.mode, failing.mode = "html", "cut", "drop", "status500"
    slow.mode, slow.delay = "slow", TIMEOUT * 3
    refused = FakeEngine()
    refused.stop()  # a port that was just closed: connection refused
    names = ["good", "legacy", "html", "cut", "drop", "slow", "failing", "refused"]
    urls = [e.url for e in (good, legacy, html, cut, drop, slow, failing, refused)]
    source, _ = _fleet(*(f"{n}={u}" for n, u in zip(names, urls, strict=True)))
    values = _values(list(source.collect()))
    ups = {n: _get(values, "llmon_vllm_up", deployment=n) for n in names}
    assert ups == {
        "good": 1,
        "legacy": 1,
        "html": 0,
        "cut": 0,
        "drop": 0,
        "slow": 0,
        "failing": 0,
        "refused": 0,
    }
    errors = {
        (dict(labels)["deployment"], dict(labels)["endpoint"], dict(labels)["reason"])
        for (name, labels), value in values.items()
        if name == "llmon_vllm_scrape_errors_total" and value > 0
    }
    assert errors == {
        ("html", "metrics", "not_prometheus"),
        ("cut", "metrics", "truncated"),
        ("drop", "metrics", "truncated"),
        ("slow", "metrics", "timeout"),
        ("failing", "metrics", "http_status"),
        ("refused", "metrics", "unreachable"),
    }
    assert _get(values, "llmon_vllm_healthy", deployment="html") == 1  # alive, only its page is bad
    assert _get(values, "llmon_vllm_healthy", deployment="refused") == 0
    ttft = "vllm:time_to_first_token_seconds_count"
    assert _get(values, ttft, deployment="good", engine="0", model_name=MODEL) == 50
    assert _get(values, ttft, deployment="legacy", model_name=MODEL) == 10
    assert _get(values, "vllm:kv_cache_usage_perc", deployment="legacy", model_name=MODEL) == 0.91
    assert not [
        key
        for key in values
        if dict(key[1]).get("deployment") in ("html", "slow", "refused") and key[0].startswith("vllm:")
    ]
    assert _get(values, "llmon_vllm_info", deployment="legacy", version="0.6.3") == 1
    assert _get(values, "llmon_vllm_max_model_len", deployment="good", model_name=MODEL) == 32768
    assert _get(values, "llmon_vllm_served_model_info", deployment="good", model_name="sql-lora",
                root="/adapters/sql-lora", parent=MODEL) == 1  # fmt: skip
    assert _get(values, "llmon_vllm_legacy_families", deployment="legacy") == 3
    assert _get(values, "llmon_vllm_targets", discovery="static") == 8
    # The same failures reach llmon_exporter_collect_errors_total, by collect reason, exactly once.
    assert source.take_partial_errors() == {
        "malformed": 3,  # not_prometheus, truncated twice
        "timeout": 1,
        "http_status": 1,
        "unreachable": 1,
    }
    assert source.take_partial_errors() == {}


def test_unhealthy_engine_keeps_its_metrics_but_shows_not_healthy(engines: Callable[..., FakeEngine]) -> None:
    engine = engines()
    engine.health = 503
    source, _ = _fleet(f"a={engine.url}")
    values = _values(list(source.collect()))
    assert _get(values, "llmon_vllm_up", deployment="a") == 1
    assert _get(values, "llmon_vllm_healthy", deployment="a") == 0


def test_a_restart_is_counted_once_from_start_time_or_counter_reset(
    engines: Callable[..., FakeEngine],
) -> None:
    v1, v0 = engines(), engines()
    v0.page = V0_PAGE
    source, _ = _fleet(f"v1={v1.url}", f"v0={v0.url}")
    restarts = "llmon_vllm_engine_restarts_total"
    for _ in range(2):
        values = _values(list(source.collect()))
    assert _get(values, restarts, deployment="v1") == 0
    assert _get(values, restarts, deployment="v0") == 0
    v1.page = V1_PAGE.replace(b"1.76e+09", b"1.7600006e+09")  # started again 600 s later
    v0.page = V0_PAGE.replace(b'"} 7.0', b'"} 0.0')  # preemptions counter back to 0
    values = _values(list(source.collect()))
    assert _get(values, restarts, deployment="v1") == 1
    assert _get(values, restarts, deployment="v0") == 1
    values = _values(list(source.collect()))
    assert _get(values, restarts, deployment="v1") == 1  # the same start is not counted again


def test_dropped_targets_forget_their_engine(engines: Callable[..., FakeEngine]) -> None:
    engine = engines()
    source, registry = _fleet(f"a={engine.url}")
    list(source.collect())
    registry.replace("static", [])
    values = _values(list(source.collect()))
    assert not [key for key in values if dict(key[1]).get("deployment") == "a"]


def test_exporter_serves_one_valid_family_per_name_with_deployment(
    engines: Callable[..., FakeEngine],
) -> None:
    first, second = engines(), engines()
    second.page = V0_PAGE
    settings = VllmSettings(
        targets=[f"one={first.url}", f"two={second.url}"],
        web_listen_address="127.0.0.1:0",
        collect_interval=0.2,
        request_timeout=1.0,
        metadata=False,
    )
    with ExporterServer(SPEC, settings) as server:
        deadline = time.monotonic() + 30
        while httpx.get(server.url + "/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        text = httpx.get(server.url + "/metrics").text
    families = list(text_string_to_metric_families(text))
    names = [f.name for f in families]
    assert len(names) == len(set(names))
    kv = next(f for f in families if f.name == "vllm:kv_cache_usage_perc")
    assert sorted((s.labels["deployment"], s.value) for s in kv.samples) == [("one", 0.42), ("two", 0.91)]
    fds = next(f for f in families if f.name == "process_open_fds")
    assert len(fds.samples) == 1 and "deployment" not in fds.samples[0].labels  # the exporter's own only
    assert 'llmon_exporter_up{source="engines"} 1.0' in text
