"""vLLM's metric names: the current V1 catalogue and the renames older versions need.

Sources: vllm/v1/metrics/loggers.py (V1), vllm/engine/metrics.py (V0, removed in 0.11) and the
deprecation table of docs/usage/metrics.md. A legacy name is translated only when its V1 successor is
not on the same page: versions inside a deprecation window expose both, and then the V1 family is the
one kept (the legacy copy would duplicate every series).
"""

from __future__ import annotations

#: Legacy family name -> the V1 family that replaced it with the same meaning and type.
LEGACY_NAMES = {
    "vllm:gpu_cache_usage_perc": "vllm:kv_cache_usage_perc",
    "vllm:gpu_prefix_cache_queries": "vllm:prefix_cache_queries",
    "vllm:gpu_prefix_cache_hits": "vllm:prefix_cache_hits",
    "vllm:time_per_output_token_seconds": "vllm:inter_token_latency_seconds",
    "vllm:time_in_queue_requests": "vllm:request_queue_time_seconds",
}

#: Families of V0 that have no V1 successor: passed through under their own names, not "unknown".
LEGACY_ONLY = frozenset(
    {
        "vllm:num_requests_swapped",
        "vllm:cpu_cache_usage_perc",
        "vllm:gpu_prefix_cache_hit_rate",
        "vllm:cpu_prefix_cache_hit_rate",
        "vllm:avg_prompt_throughput_toks_per_s",
        "vllm:avg_generation_throughput_toks_per_s",
        "vllm:tokens",
        "vllm:request_params_best_of",
        "vllm:model_forward_time_milliseconds",
        "vllm:model_execute_time_milliseconds",
        "vllm:spec_decode_draft_acceptance_rate",
        "vllm:spec_decode_efficiency",
        "vllm:spec_decode_num_emitted_tokens",
    }
)

#: V1 family names as the text parser reports them (counters without ``_total``).
V1_NAMES = frozenset(
    {
        "vllm:num_requests_running",
        "vllm:num_requests_waiting",
        "vllm:num_requests_waiting_by_reason",
        "vllm:kv_cache_usage_perc",
        "vllm:engine_sleep_state",
        "vllm:cache_config_info",
        "vllm:lora_requests_info",
        "vllm:num_preemptions",
        "vllm:prompt_tokens",
        "vllm:prompt_tokens_by_source",
        "vllm:prompt_tokens_cached",
        "vllm:prompt_tokens_recomputed",
        "vllm:generation_tokens",
        "vllm:request_success",
        "vllm:prefix_cache_queries",
        "vllm:prefix_cache_hits",
        "vllm:external_prefix_cache_queries",
        "vllm:external_prefix_cache_hits",
        "vllm:mm_cache_queries",
        "vllm:mm_cache_hits",
        "vllm:corrupted_requests",
        "vllm:time_to_first_token_seconds",
        "vllm:inter_token_latency_seconds",
        "vllm:request_time_per_output_token_seconds",
        "vllm:e2e_request_latency_seconds",
        "vllm:request_queue_time_seconds",
        "vllm:request_inference_time_seconds",
        "vllm:request_prefill_time_seconds",
        "vllm:request_decode_time_seconds",
        "vllm:iteration_tokens_total",
        "vllm:request_prompt_tokens",
        "vllm:request_generation_tokens",
        "vllm:request_max_num_generation_tokens",
        "vllm:request_params_max_tokens",
        "vllm:request_prefill_kv_computed_tokens",
        "vllm:request_params_n",
        "vllm:request_num_preemptions",
        "vllm:kv_block_lifetime_seconds",
        "vllm:kv_block_idle_before_evict_seconds",
        "vllm:kv_block_reuse_gap_seconds",
        "vllm:spec_decode_num_drafts",
        "vllm:spec_decode_num_draft_tokens",
        "vllm:spec_decode_num_accepted_tokens",
        "vllm:spec_decode_num_accepted_tokens_per_pos",
        "vllm:engine_healthy",
    }
)

#: The engine's HTTP families (prometheus_fastapi_instrumentator) re-exposed beside the vllm: ones.
HTTP_FAMILIES = frozenset({"http_requests", "http_request_duration_seconds"})


def is_known(name: str) -> bool:
    """Whether a vllm: family is one this exporter knows; the others pass through and are counted."""
    return name in V1_NAMES or name in LEGACY_ONLY or name in LEGACY_NAMES
