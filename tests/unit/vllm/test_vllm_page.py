"""Parsing vLLM pages: V1 kept as is, legacy names translated, junk rejected with its cause."""

from __future__ import annotations

import pytest
from vllm_fakeengine import V0_PAGE, V1_PAGE

from exporters.vllm.page import PageError, check_body, parse_page


def _value(page, family: str, sample: str, **labels: str) -> float:
    for s in page.families[family].samples:
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise AssertionError(f"{sample} {labels} not found")


def test_v1_page_keeps_vllm_and_http_families_and_drops_process_ones() -> None:
    page = parse_page(V1_PAGE.decode())
    assert "vllm:kv_cache_usage_perc" in page.families
    assert "http_requests" in page.families and "http_request_duration_seconds" in page.families
    assert not [name for name in page.families if name.startswith(("process_", "python_"))]
    assert _value(page, "vllm:prompt_tokens", "vllm:prompt_tokens_total", engine="0") == 5200
    assert _value(page, "http_requests", "http_requests_total", status="5xx") == 2
    assert page.unknown == 0


def test_v1_created_gauges_fold_into_their_family_and_give_the_start_time() -> None:
    page = parse_page(V1_PAGE.decode())
    assert not [name for name in page.families if name.endswith("_created")]
    created = [s for s in page.families["vllm:prompt_tokens"].samples if s.name.endswith("_created")]
    assert [s.value for s in created] == [1.76e9]
    assert page.start_time == 1.76e9


def test_v1_deprecated_duplicate_is_dropped_in_favour_of_the_v1_family() -> None:
    page = parse_page(V1_PAGE.decode())
    assert "vllm:time_per_output_token_seconds" not in page.families
    itl = page.families["vllm:inter_token_latency_seconds"]
    assert _value(page, itl.name, "vllm:inter_token_latency_seconds_count") == 100
    assert page.translated == 0


def test_v0_page_is_translated_to_v1_names_with_buckets_kept() -> None:
    page = parse_page(V0_PAGE.decode())
    assert _value(page, "vllm:kv_cache_usage_perc", "vllm:kv_cache_usage_perc") == 0.91
    assert "vllm:gpu_cache_usage_perc" not in page.families
    buckets = [
        s for s in page.families["vllm:inter_token_latency_seconds"].samples if s.name.endswith("_bucket")
    ]
    assert [s.labels["le"] for s in buckets][-2:] == ["2.5", "+Inf"]
    assert _value(page, "vllm:request_queue_time_seconds", "vllm:request_queue_time_seconds_count") == 10
    assert page.translated == 3  # gpu_cache_usage_perc, time_per_output_token, time_in_queue_requests
    assert _value(page, "vllm:num_requests_swapped", "vllm:num_requests_swapped") == 0  # no V1 successor
    assert page.start_time is None
    assert page.cumulative[("vllm:num_preemptions_total", (("model_name", "Qwen/Qwen2.5-7B-Instruct"),))] == 7


def test_unknown_future_family_passes_through_and_is_counted() -> None:
    future = "# HELP vllm:warp_drive_engaged New.\n# TYPE vllm:warp_drive_engaged gauge\n"
    future += 'vllm:warp_drive_engaged{engine="0",model_name="m"} 1.0\n'
    page = parse_page(V1_PAGE.decode() + future)
    assert _value(page, "vllm:warp_drive_engaged", "vllm:warp_drive_engaged") == 1.0
    assert page.unknown == 1


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"<!DOCTYPE html><html></html>\n", "text/html", "not_prometheus"),
        (b"<html><body>proxy error</body></html>\n", "text/plain", "not_prometheus"),
        (b'{"detail": "Not Found"}\n', "application/json", "not_prometheus"),
        (V1_PAGE[:500], "text/plain", "truncated"),
        (b"\xff\xfe garbage\n", "text/plain", "malformed"),
    ],
)
def test_bodies_that_are_not_an_exposition_fail_with_their_cause(
    body: bytes, content_type: str, reason: str
) -> None:
    with pytest.raises(PageError) as caught:
        check_body(body, content_type)
    assert caught.value.reason == reason


def test_unparseable_text_is_malformed() -> None:
    with pytest.raises(PageError) as caught:
        parse_page('vllm:num_requests_running{model_name="m" 1\n')
    assert caught.value.reason == "malformed"
