"""An engine's /metrics in vLLM's own exposition: V1 as in vLLM 0.11.0, or the V0 layout of vLLM 0.5.x.

V1 (``vllm/v1/metrics/loggers.py`` at 0.11.0): every engine series carries ``model_name`` and
``engine="0"``; counters are registered without ``_total`` so prometheus_client exposes ``<name>_total``
plus a ``<name>_created`` gauge, and histograms have ``_created`` too; the deprecated
``vllm:time_per_output_token_seconds`` is still shown next to ``vllm:inter_token_latency_seconds``
(hidden from 0.12). The HTTP families are prometheus_fastapi_instrumentator's defaults (status grouped as
``2xx``/``5xx``; a handler or status appears once it has served a request). One API server means the
plain global registry, so python_gc_* and process_* families come first.

V0 (``vllm/engine/metrics.py`` of 0.5.x): labels are ``model_name`` only, created samples are disabled,
counters are named ``..._total`` explicitly, KV usage is ``vllm:gpu_cache_usage_perc``, per-token latency
``vllm:time_per_output_token_seconds`` with the short bucket lists of the time, and ``request_success_total``
children appear only for finish reasons seen. The cache config is an Info metric (``vllm:cache_config_info``).

Text is produced by prometheus_client's own ``generate_latest`` from metric families, so line layout,
label order (sorted) and float formatting are the client library's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from mock.twins.vllm.gauges import scheduler_gauges
from mock.twins.vllm.live import LiveBook
from mock.twins.vllm.state import EngineStatus, FleetSnapshot
from mock.twins.vllm.traffic import CHAT_SHARE, GENERATION_TOKENS, EngineTimeline
from mock.twins.vllm.world import PROMPT_TOKENS, Engine

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
INF = math.inf
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                20.0, 40.0, 80.0, 160.0, 640.0, 2560.0)  # fmt: skip
ITL_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
               40.0, 80.0)  # fmt: skip
REQUEST_LATENCY_BUCKETS = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
                           120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0)  # fmt: skip
ITERATION_TOKEN_BUCKETS = (1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
N_BUCKETS = (1, 2, 5, 10, 20)
V0_TTFT_BUCKETS = TTFT_BUCKETS[:16]  # to 10 s
V0_TPOT_BUCKETS = ITL_BUCKETS[:13]  # to 2.5 s
V0_E2E_BUCKETS = (1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0)
HTTP_HIGHR_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 7.5,
                      10, 30, 60)  # fmt: skip
HTTP_LOWR_BUCKETS = (0.1, 0.5, 1)
FINISH_REASONS = ("stop", "length", "abort")


def build_1_2_5_buckets(max_value: int) -> tuple[int, ...]:
    """vLLM's token-count buckets: 1, 2, 5, 10, 20, 50, ... up to ``max_value``."""
    out: list[int] = []
    exponent = 0
    while True:
        for mantissa in (1, 2, 5):
            value = mantissa * 10**exponent
            if value > max_value:
                return tuple(out)
            out.append(value)
        exponent += 1


@dataclass(frozen=True)
class HistogramDef:
    name: str
    documentation: str
    source: str  # observation source in mock/twins/vllm/traffic.py
    buckets: tuple[float, ...]


def v1_histograms(max_model_len: int) -> list[HistogramDef]:
    tokens = build_1_2_5_buckets(max_model_len)
    return [
        HistogramDef(
            "vllm:request_prompt_tokens", "Number of prefill tokens processed.", "prompt_tokens", tokens
        ),
        HistogramDef(
            "vllm:request_generation_tokens",
            "Number of generation tokens processed.",
            "generation_tokens",
            tokens,
        ),
        HistogramDef(
            "vllm:iteration_tokens_total",
            "Histogram of number of tokens per engine_step.",
            "iteration_tokens",
            ITERATION_TOKEN_BUCKETS,
        ),
        HistogramDef(
            "vllm:request_max_num_generation_tokens",
            "Histogram of maximum number of requested generation tokens.",
            "max_tokens",
            tokens,
        ),
        HistogramDef("vllm:request_params_n", "Histogram of the n request parameter.", "n", N_BUCKETS),
        HistogramDef(
            "vllm:request_params_max_tokens",
            "Histogram of the max_tokens request parameter.",
            "max_tokens",
            tokens,
        ),
        HistogramDef(
            "vllm:time_to_first_token_seconds",
            "Histogram of time to first token in seconds.",
            "ttft",
            TTFT_BUCKETS,
        ),
        HistogramDef(
            "vllm:time_per_output_token_seconds",
            "Histogram of time per output token in seconds."
            "DEPRECATED: Use vllm:inter_token_latency_seconds instead.",
            "itl",
            ITL_BUCKETS,
        ),
        HistogramDef(
            "vllm:inter_token_latency_seconds",
            "Histogram of inter-token latency in seconds.",
            "itl",
            ITL_BUCKETS,
        ),
        HistogramDef(
            "vllm:e2e_request_latency_seconds",
            "Histogram of e2e request latency in seconds.",
            "e2e",
            REQUEST_LATENCY_BUCKETS,
        ),
        HistogramDef(
            "vllm:request_queue_time_seconds",
            "Histogram of time spent in WAITING phase for request.",
            "queue",
            REQUEST_LATENCY_BUCKETS,
        ),
        HistogramDef(
            "vllm:request_inference_time_seconds",
            "Histogram of time spent in RUNNING phase for request.",
            "inference",
            REQUEST_LATENCY_BUCKETS,
        ),
        HistogramDef(
            "vllm:request_prefill_time_seconds",
            "Histogram of time spent in PREFILL phase for request.",
            "prefill",
            REQUEST_LATENCY_BUCKETS,
        ),
        HistogramDef(
            "vllm:request_decode_time_seconds",
            "Histogram of time spent in DECODE phase for request.",
            "decode",
            REQUEST_LATENCY_BUCKETS,
        ),
    ]


def v0_histograms(max_model_len: int) -> list[HistogramDef]:
    tokens = build_1_2_5_buckets(max_model_len)
    return [
        HistogramDef(
            "vllm:time_to_first_token_seconds",
            "Histogram of time to first token in seconds.",
            "ttft",
            V0_TTFT_BUCKETS,
        ),
        HistogramDef(
            "vllm:time_per_output_token_seconds",
            "Histogram of time per output token in seconds.",
            "itl",
            V0_TPOT_BUCKETS,
        ),
        HistogramDef(
            "vllm:e2e_request_latency_seconds",
            "Histogram of end to end request latency in seconds.",
            "e2e",
            V0_E2E_BUCKETS,
        ),
        HistogramDef(
            "vllm:request_prompt_tokens", "Number of prefill tokens processed.", "prompt_tokens", tokens
        ),
        HistogramDef(
            "vllm:request_generation_tokens",
            "Number of generation tokens processed.",
            "generation_tokens",
            tokens,
        ),
        HistogramDef(
            "vllm:request_params_best_of", "Histogram of the best_of request parameter.", "n", N_BUCKETS
        ),
        HistogramDef("vllm:request_params_n", "Histogram of the n request parameter.", "n", N_BUCKETS),
    ]


class _Families:
    """A collector over a fixed list of families, for generate_latest."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


@dataclass(frozen=True)
class View:
    """What one rendering reads: the engine, its status, counters and histograms since it became ready."""

    engine: Engine
    status: EngineStatus
    timeline: EngineTimeline
    live: LiveBook
    snapshot: FleetSnapshot

    @property
    def serving(self) -> bool:
        return self.status.phase == "up"

    def window(self) -> tuple[float, float]:
        ready = self.status.ready_tau
        return ready, max(ready, self.snapshot.tau)

    def seeded_counters(self) -> dict[str, float]:
        """The scenario's traffic since the engine became ready (requests served over HTTP excluded)."""
        return self.timeline.counters(self.timeline.weights(*self.window()))

    def counters(self) -> dict[str, float]:
        return {name: value + self.live.counter(name) for name, value in self.seeded_counters().items()}

    def histogram(self, source: str, bounds: Sequence[float]) -> tuple[list[float], float, float]:
        full = (*bounds, INF)
        totals = self.timeline.histogram(source, full, self.timeline.weights(*self.window()))
        live_buckets, _, live_sum = self.live.histogram(source, full)
        counts = [math.floor(v) + extra for v, extra in zip(totals.buckets, live_buckets, strict=True)]
        return counts, counts[-1], totals.total + live_sum

    @property
    def created(self) -> float:
        return self.snapshot.wall(self.status.started_tau)


def _histogram(view: View, spec: HistogramDef, labels: dict[str, str], created: bool) -> Metric:
    counts, _count, total = view.histogram(spec.source, spec.buckets)
    family = HistogramMetricFamily(spec.name, spec.documentation, labels=list(labels))
    bounds = [floatToGoString(float(b)) for b in spec.buckets] + ["+Inf"]
    family.add_metric(list(labels.values()), list(zip(bounds, counts, strict=True)), total)
    if created:
        family.samples.append(Sample(spec.name + "_created", labels, view.created))
    return family


def _counter(name: str, doc: str, rows: list[tuple[dict[str, str], float]], created: float | None) -> Metric:
    family = CounterMetricFamily(name, doc, labels=list(rows[0][0]) if rows else None)
    for labels, value in rows:
        family.add_metric(list(labels.values()), math.floor(value), created=created)
    return family


def _gauge(name: str, doc: str, labels: dict[str, str], value: float) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=list(labels))
    family.add_metric(list(labels.values()), value)
    return family


def _process_families(view: View) -> list[Metric]:
    """The default collectors of prometheus_client in vLLM's API server process."""
    gc_collected = CounterMetricFamily(
        "python_gc_objects_collected", "Objects collected during gc", labels=["generation"]
    )
    gc_uncollectable = CounterMetricFamily(
        "python_gc_objects_uncollectable", "Uncollectable objects found during GC", labels=["generation"]
    )
    gc_collections = CounterMetricFamily(
        "python_gc_collections", "Number of times this generation was collected", labels=["generation"]
    )
    uptime = max(0.0, view.snapshot.tau - view.status.started_tau)
    for generation, per_s in (("0", 900.0), ("1", 60.0), ("2", 2.0)):
        gc_collected.add_metric([generation], math.floor(per_s * uptime * 3.1))
        gc_uncollectable.add_metric([generation], 0)
        gc_collections.add_metric([generation], math.floor(per_s * uptime / 40.0))
    info = GaugeMetricFamily(
        "python_info",
        "Python platform information",
        labels=["implementation", "major", "minor", "patchlevel", "version"],
    )
    info.add_metric(["CPython", "3", "12", "11", "3.12.11"], 1)
    gib = 1024**3
    return [
        gc_collected,
        gc_uncollectable,
        gc_collections,
        info,
        GaugeMetricFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.", value=96.5 * gib),
        GaugeMetricFamily("process_resident_memory_bytes", "Resident memory size in bytes.", value=5.2 * gib),
        GaugeMetricFamily(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            value=view.created,
        ),
        CounterMetricFamily(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            value=round(uptime * 1.7, 2),
        ),
        GaugeMetricFamily("process_open_fds", "Number of open file descriptors.", value=187),
        GaugeMetricFamily("process_max_fds", "Maximum number of open file descriptors.", value=1048576),
    ]


def _gauges_now(view: View) -> tuple[float, float, float]:
    """(running, waiting, kv usage) now; zero until the engine serves."""
    if not view.serving:
        return 0.0, 0.0, 0.0
    return scheduler_gauges(
        view.engine, view.timeline.load_at(view.snapshot.tau), view.snapshot.tau, view.live
    )


def cache_config_labels(engine: Engine) -> dict[str, str]:
    """CacheConfig.metrics_info(): the config fields as strings, in the dataclass's field order."""
    return {
        "block_size": str(engine.block_size),
        "gpu_memory_utilization": str(engine.gpu_memory_utilization),
        "swap_space": "4",
        "cache_dtype": engine.kv_cache_dtype,
        "is_attention_free": "False",
        "num_gpu_blocks_override": "None",
        "sliding_window": "None",
        "enable_prefix_caching": "True",
        "prefix_caching_hash_algo": "sha256",
        "cpu_offload_gb": "0",
        "calculate_kv_scales": "False",
        "kv_sharing_fast_prefill": "False",
        "mamba_page_size_padded": "None",
        "num_gpu_blocks": str(engine.num_gpu_blocks),
        "num_cpu_blocks": "None",
    }


def _v1_families(view: View) -> list[Metric]:
    engine = view.engine
    labels = {"model_name": engine.model_name, "engine": "0"}
    created = view.created
    counters = view.counters()
    running, waiting, kv = _gauges_now(view)
    families: list[Metric] = [
        _gauge(
            "vllm:num_requests_running", "Number of requests in model execution batches.", labels, running
        ),
        _gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", labels, waiting),
        _gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", labels, kv),
    ]
    for name, doc, key in (
        (
            "vllm:prefix_cache_queries",
            "Prefix cache queries, in terms of number of queried tokens.",
            "prefix_queries",
        ),
        ("vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.", "prefix_hits"),
        ("vllm:num_preemptions", "Cumulative number of preemption from the engine.", "preemptions"),
        ("vllm:prompt_tokens", "Number of prefill tokens processed.", "prompt_tokens"),
        ("vllm:generation_tokens", "Number of generation tokens processed.", "generation_tokens"),
    ):
        families.append(_counter(name, doc, [(labels, counters[key])], created))
    families.append(
        _counter(
            "vllm:request_success", "Count of successfully processed requests.",
            [({**labels, "finished_reason": reason}, counters[reason]) for reason in FINISH_REASONS], created,
        )
    )  # fmt: skip
    families += [_histogram(view, spec, labels, created=True) for spec in v1_histograms(engine.max_model_len)]
    info = GaugeMetricFamily(
        "vllm:cache_config_info", "Information of the LLMEngine CacheConfig",
        labels=[*cache_config_labels(engine), "engine"],
    )  # fmt: skip
    info.add_metric([*cache_config_labels(engine).values(), "0"], 1)
    families.append(info)
    return families + _http_families(view, view.seeded_counters())


def _http_families(view: View, counters: dict[str, float]) -> list[Metric]:
    """prometheus_fastapi_instrumentator's default families, for the handlers that served requests.

    ``counters`` is the scenario's traffic only; requests the twin really served are added per handler.
    """
    created = view.created
    ok, errors = counters["requests"] - counters["errors"], counters["errors"]
    per_handler = {
        ("POST", "/v1/chat/completions"): (ok * CHAT_SHARE, errors * CHAT_SHARE),
        ("POST", "/v1/completions"): (ok * (1 - CHAT_SHARE), errors * (1 - CHAT_SHARE)),
        ("GET", "/v1/models"): (counters["models_requests"], 0.0),
    }
    for (method, handler), (good, bad) in list(per_handler.items()):
        extra_good, extra_bad = view.live.http(method, handler)
        per_handler[(method, handler)] = (good + extra_good, bad + extra_bad)
    total = CounterMetricFamily(
        "http_requests",
        "Total number of requests by method, status and handler.",
        labels=["method", "status", "handler"],
    )
    for (method, handler), (good, bad) in per_handler.items():
        for status, value in (("2xx", good), ("5xx", bad)):
            if math.floor(value) >= 1:
                total.add_metric([method, status, handler], math.floor(value), created=created)
    served = {
        key: math.floor(good + bad) for key, (good, bad) in per_handler.items() if math.floor(good + bad) >= 1
    }
    sizes = []
    for name, doc, key in (
        ("http_request_size_bytes", "Content length of incoming requests by handler. ", "request_bytes"),
        ("http_response_size_bytes", "Content length of outgoing responses by handler. ", "response_bytes"),
    ):
        summary = SummaryMetricFamily(
            name, doc + "Only value of header is respected. Otherwise ignored. No percentile calculated. ",
            labels=["handler"],
        )  # fmt: skip
        completions = sum(n for (m, _), n in served.items() if m == "POST")
        for (method, handler), count in served.items():
            share = count / completions if method == "POST" and completions else 0.0
            summary.add_metric([handler], count, counters[key] * share)
            summary.samples.append(Sample(name + "_created", {"handler": handler}, created))
        sizes.append(summary)
    completion_hist = view.histogram("http_completions", HTTP_HIGHR_BUCKETS)
    models_hist = view.histogram("http_models", HTTP_HIGHR_BUCKETS)
    highr = HistogramMetricFamily(
        "http_request_duration_highr_seconds",
        "Latency with many buckets but no API specific labels. "
        "Made for more accurate percentile calculations. ",
    )
    bounds = [floatToGoString(float(b)) for b in HTTP_HIGHR_BUCKETS] + ["+Inf"]
    buckets = [a + b for a, b in zip(completion_hist[0], models_hist[0], strict=True)]
    highr.add_metric([], list(zip(bounds, buckets, strict=True)), completion_hist[2] + models_hist[2])
    highr.samples.append(Sample("http_request_duration_highr_seconds_created", {}, created))
    lowr = HistogramMetricFamily(
        "http_request_duration_seconds",
        "Latency with only few buckets by handler. "
        "Made to be only used if aggregation by handler is important. ",
        labels=["method", "handler"],
    )
    low_bounds = [floatToGoString(float(b)) for b in HTTP_LOWR_BUCKETS] + ["+Inf"]
    for (method, handler), count in served.items():
        source = "http_models" if handler == "/v1/models" else "http_completions"
        counts, all_count, total_s = view.histogram(source, HTTP_LOWR_BUCKETS)
        share = count / all_count if all_count else 0.0
        lowr.add_metric(
            [method, handler], list(zip(low_bounds, [math.floor(c * share) for c in counts], strict=True)),
            total_s * share,
        )  # fmt: skip
        lowr.samples.append(
            Sample("http_request_duration_seconds_created", {"method": method, "handler": handler}, created)
        )
    return [total, *sizes, highr, lowr]


def _v0_families(view: View) -> list[Metric]:
    engine = view.engine
    labels = {"model_name": engine.model_name}
    counters = view.counters()
    running, waiting, kv = _gauges_now(view)
    info = InfoMetricFamily(
        "vllm:cache_config", "information of cache_config", value=cache_config_labels(engine)
    )
    families: list[Metric] = [
        info,
        _gauge("vllm:num_requests_running", "Number of requests currently running on GPU.", labels, running),
        _gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", labels, waiting),
        _gauge("vllm:num_requests_swapped", "Number of requests swapped to CPU.", labels, 0.0),
        _gauge("vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.", labels, kv),
        _gauge("vllm:cpu_cache_usage_perc", "CPU KV-cache usage. 1 means 100 percent usage.", labels, 0.0),
        _counter(
            "vllm:num_preemptions_total", "Cumulative number of preemption from the engine.",
            [(labels, counters["preemptions"])], None,
        ),
        _counter(
            "vllm:prompt_tokens_total", "Number of prefill tokens processed.",
            [(labels, counters["prompt_tokens"])], None,
        ),
        _counter(
            "vllm:generation_tokens_total", "Number of generation tokens processed.",
            [(labels, counters["generation_tokens"])], None,
        ),
    ]  # fmt: skip
    specs = v0_histograms(engine.max_model_len)
    families += [_histogram(view, spec, labels, created=False) for spec in specs[:3]]
    families += [_histogram(view, spec, labels, created=False) for spec in specs[3:]]
    seen = [
        ({**labels, "finished_reason": r}, counters[r])
        for r in FINISH_REASONS
        if math.floor(counters[r]) >= 1
    ]
    families.append(
        _counter("vllm:request_success_total", "Count of successfully processed requests.", seen, None)
    )
    for name, doc, kind in (
        ("vllm:spec_decode_draft_acceptance_rate", "Speulative token acceptance rate.", GaugeMetricFamily),
        ("vllm:spec_decode_efficiency", "Speculative decoding system efficiency.", GaugeMetricFamily),
        ("vllm:spec_decode_num_accepted_tokens_total", "Number of accepted tokens.", CounterMetricFamily),
        ("vllm:spec_decode_num_draft_tokens_total", "Number of draft tokens.", CounterMetricFamily),
        ("vllm:spec_decode_num_emitted_tokens_total", "Number of emitted tokens.", CounterMetricFamily),
    ):
        families.append(kind(name, doc, labels=["model_name"]))
    load = view.timeline.load_at(view.snapshot.tau) if view.serving else None
    requests = engine.calm_requests_per_s * load.traffic * (1 - load.error_ratio) if load else 0.0
    for name, doc, tokens in (
        ("vllm:avg_prompt_throughput_toks_per_s", "Average prefill throughput in tokens/s.", PROMPT_TOKENS),
        (
            "vllm:avg_generation_throughput_toks_per_s",
            "Average generation throughput in tokens/s.",
            GENERATION_TOKENS,
        ),
    ):
        families.append(_gauge(name, doc, labels, round(requests * tokens, 1)))
    return families


def render(view: View) -> bytes:
    """The engine's /metrics body."""
    engine_families = _v0_families(view) if view.engine.legacy else _v1_families(view)
    return generate_latest(_Families(_process_families(view) + engine_families))  # type: ignore[arg-type]
