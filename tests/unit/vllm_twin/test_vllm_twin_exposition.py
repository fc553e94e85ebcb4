"""/metrics in vLLM 0.11.0's exact layout, and the legacy V0 layout.

The reference page is what prometheus_client itself renders for vLLM 0.11.0's metric definitions
(``vllm/v1/metrics/loggers.py``: names, help, label names, buckets; registered as vLLM registers them,
counters without ``_total``): the twin must produce the same HELP/TYPE lines and the same series
(name and label set, ``le`` values included); only values and ``_created`` times may differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from mock.twins.vllm.exposition import build_1_2_5_buckets, cache_config_labels
from mock.twins.vllm.server import VllmTwin
from mock.twins.vllm.world import Engine

TTFT = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
        40.0, 80.0, 160.0, 640.0, 2560.0]  # fmt: skip
ITL = [
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.15,
    0.2,
    0.3,
    0.4,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    20.0,
    40.0,
    80.0,
]
LATENCY = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0,
           480.0, 960.0, 1920.0, 7680.0]  # fmt: skip
LABELS = ["model_name", "engine"]


def reference_page(engine: Engine) -> str:
    """vLLM 0.11.0's engine families as prometheus_client renders them (values zero)."""
    registry = CollectorRegistry()
    tokens = build_1_2_5_buckets(engine.max_model_len)
    values = (engine.model_name, "0")
    for name, doc in (
        ("vllm:num_requests_running", "Number of requests in model execution batches."),
        ("vllm:num_requests_waiting", "Number of requests waiting to be processed."),
        ("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage."),
    ):
        Gauge(name, doc, LABELS, registry=registry).labels(*values)
    for name, doc in (
        ("vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens."),
        ("vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens."),
        ("vllm:num_preemptions", "Cumulative number of preemption from the engine."),
        ("vllm:prompt_tokens", "Number of prefill tokens processed."),
        ("vllm:generation_tokens", "Number of generation tokens processed."),
    ):
        Counter(name, doc, LABELS, registry=registry).labels(*values)
    success = Counter(
        "vllm:request_success", "Count of successfully processed requests.", [*LABELS, "finished_reason"],
        registry=registry,
    )  # fmt: skip
    for reason in ("stop", "length", "abort"):
        success.labels(*values, reason)
    for name, doc, buckets in (
        ("vllm:request_prompt_tokens", "Number of prefill tokens processed.", tokens),
        ("vllm:request_generation_tokens", "Number of generation tokens processed.", tokens),
        (
            "vllm:iteration_tokens_total",
            "Histogram of number of tokens per engine_step.",
            [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384],
        ),
        (
            "vllm:request_max_num_generation_tokens",
            "Histogram of maximum number of requested generation tokens.",
            tokens,
        ),
        ("vllm:request_params_n", "Histogram of the n request parameter.", [1, 2, 5, 10, 20]),
        ("vllm:request_params_max_tokens", "Histogram of the max_tokens request parameter.", tokens),
        ("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", TTFT),
        (
            "vllm:time_per_output_token_seconds",
            "Histogram of time per output token in seconds."
            "DEPRECATED: Use vllm:inter_token_latency_seconds instead.",
            ITL,
        ),
        ("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", ITL),
        ("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", LATENCY),
        ("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", LATENCY),
        (
            "vllm:request_inference_time_seconds",
            "Histogram of time spent in RUNNING phase for request.",
            LATENCY,
        ),
        (
            "vllm:request_prefill_time_seconds",
            "Histogram of time spent in PREFILL phase for request.",
            LATENCY,
        ),
        ("vllm:request_decode_time_seconds", "Histogram of time spent in DECODE phase for request.", LATENCY),
    ):
        Histogram(name, doc, LABELS, buckets=buckets, registry=registry).labels(*values)
    info = cache_config_labels(engine)
    Gauge(
        "vllm:cache_config_info",
        "Information of the LLMEngine CacheConfig",
        [*info, "engine"],
        registry=registry,
    ).labels(*info.values(), "0").set(1)
    return generate_latest(registry).decode()


def _shape(page: str, keep: Callable[[str], bool]) -> list[str]:
    """Comment lines and series identities (values dropped) of the families ``keep`` selects."""
    out = []
    for line in page.splitlines():
        name = line.split()[2] if line.startswith("#") else re.split(r"[{ ]", line, maxsplit=1)[0]
        if keep(name):
            out.append(line if line.startswith("#") else line.rsplit(" ", 1)[0])
    return out


def _metrics(twin: VllmTwin, deployment: str) -> str:
    response = httpx.get(twin.url(deployment) + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return response.text


def test_v1_page_matches_vllm_0_11_0(
    start_twin: Callable[..., VllmTwin], seeded_engines: list[Engine]
) -> None:
    twin = start_twin("normal", 600.0)
    for engine in seeded_engines:
        page = _metrics(twin, engine.deployment)
        engine_families = _shape(page, lambda name: name.startswith("vllm:"))
        assert engine_families == _shape(reference_page(engine), lambda name: name.startswith("vllm:"))


def test_v1_page_parses_and_counts_agree(start_twin: Callable[..., VllmTwin]) -> None:
    page = _metrics(start_twin("normal", 600.0), "vllm-qwen")
    families = {f.name: f for f in text_string_to_metric_families(page)}
    assert {"python_gc_objects_collected", "process_start_time_seconds", "http_requests"} <= set(families)
    ttft = families["vllm:time_to_first_token_seconds"]
    buckets = [s.value for s in ttft.samples if s.name.endswith("_bucket")]
    count = next(s.value for s in ttft.samples if s.name.endswith("_count"))
    assert buckets == sorted(buckets) and buckets[-1] == count > 0
    success = sum(s.value for s in families["vllm:request_success"].samples if s.name.endswith("_total"))
    http_ok = sum(
        s.value
        for s in families["http_requests"].samples
        if s.name.endswith("_total") and s.labels["handler"] != "/v1/models"
    )
    assert abs(success - http_ok) <= 3  # each family floors its own counts
    statuses = {s.labels["status"] for s in families["http_requests"].samples}
    assert statuses == {"2xx"}  # normal serves no 5xx, and an instrumentator series exists only once used


def test_legacy_page_has_v0_names(start_twin: Callable[..., VllmTwin], seeded_engines: list[Engine]) -> None:
    legacy = [replace(e, version="0.5.1") for e in seeded_engines]
    twin = start_twin("normal", 600.0, engines=legacy)
    page = _metrics(twin, "vllm-llama")
    assert httpx.get(twin.url("vllm-llama") + "/version").json() == {"version": "0.5.1"}
    families = {f.name: f for f in text_string_to_metric_families(page)}
    assert "vllm:gpu_cache_usage_perc" in families and "vllm:kv_cache_usage_perc" not in families
    assert "vllm:inter_token_latency_seconds" not in families
    assert "_created" not in page and 'engine="' not in page
    tpot = [
        s.labels["le"] for s in families["vllm:time_per_output_token_seconds"].samples if "le" in s.labels
    ]
    assert tpot[-2:] == ["2.5", "+Inf"]
    cache_config = families["vllm:cache_config_info"]  # an Info metric, a gauge in the text format
    assert cache_config.type == "gauge" and [s.value for s in cache_config.samples] == [1.0]
    ttft = [s.labels["le"] for s in families["vllm:time_to_first_token_seconds"].samples if "le" in s.labels]
    assert ttft[-2:] == ["10.0", "+Inf"]
    assert {s.labels["finished_reason"] for s in families["vllm:request_success"].samples} == {
        "stop", "length", "abort"
    }  # fmt: skip
