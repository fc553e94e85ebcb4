"""The engines over real HTTP: vLLM's endpoints, streams the histograms agree with, crash loops."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mock.twins.vllm.exposition import ITL_BUCKETS, TTFT_BUCKETS
from mock.twins.vllm.server import VllmTwin
from tests.unit.mock_clock import play

QWEN = "Qwen/Qwen2.5-7B-Instruct"


def _samples(twin: VllmTwin, deployment: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    page = httpx.get(twin.url(deployment) + "/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return next(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


def test_health_version_models(start_twin: Callable[..., VllmTwin]) -> None:
    twin = start_twin()
    url = twin.url("vllm-qwen")
    health = httpx.get(url + "/health")
    assert (health.status_code, health.content) == (200, b"")
    assert httpx.get(url + "/version").json() == {"version": "0.11.0"}
    models = httpx.get(url + "/v1/models").json()
    assert models["object"] == "list"
    base, lora = models["data"]
    assert (base["id"], base["root"], base["parent"], base["max_model_len"]) == (QWEN, QWEN, None, 32768)
    assert (lora["parent"], lora["owned_by"]) == (QWEN, "vllm")
    assert base["permission"][0]["object"] == "model_permission"


def test_targets_file_lists_every_engine(start_twin: Callable[..., VllmTwin], tmp_path: Path) -> None:
    twin = start_twin()
    path = tmp_path / "targets.json"
    twin.write_targets(path)
    groups = json.loads(path.read_text())
    assert [g["labels"]["deployment"] for g in groups] == ["vllm-llama", "vllm-qwen"]
    for group in groups:
        url = "http://" + group["targets"][0]
        assert url == twin.url(group["labels"]["deployment"])
        assert httpx.get(url + "/health").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        ({"model": "no-such-model", "prompt": "hi"}, 404, "NotFoundError"),
        ({"model": QWEN}, 400, "BadRequestError"),
        ({"model": QWEN, "prompt": "hi", "max_tokens": 40000}, 400, "BadRequestError"),
        ({"model": QWEN, "prompt": "hi", "max_tokens": 0}, 400, "BadRequestError"),
    ],
)
def test_rejected_requests_use_vllm_error_object(
    start_twin: Callable[..., VllmTwin], body: dict[str, object], status: int, kind: str
) -> None:
    response = httpx.post(start_twin().url("vllm-qwen") + "/v1/completions", json=body)
    assert response.status_code == status
    error = response.json()
    assert (error["object"], error["type"], error["code"]) == ("error", kind, status)


def _stream(url: str, chat: bool, max_tokens: int) -> tuple[float, float, list[dict[str, object]]]:
    """(seconds to the first token, seconds to the last, chunks) as a client measures them."""
    path = "/v1/chat/completions" if chat else "/v1/completions"
    body: dict[str, object] = {"model": QWEN, "max_tokens": max_tokens, "stream": True}
    body.update({"messages": [{"role": "user", "content": "hello"}]} if chat else {"prompt": "hello"})
    chunks, first, last = [], math.nan, math.nan
    started = time.perf_counter()
    with httpx.stream("POST", url + path, json=body, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            last = time.perf_counter() - started
            if not chunks:
                first = last
            chunks.append(json.loads(line.removeprefix("data: ")))
    return first, last, chunks


@pytest.mark.parametrize("chat", [True, False])
def test_stream_latencies_agree_with_the_histograms(start_twin: Callable[..., VllmTwin], chat: bool) -> None:
    """Each streamed request moves TTFT/ITL/e2e by exactly what the client saw, up to scheduling delay.

    The scenario clock is frozen, so only the served requests move the histograms; the server books
    the latencies it scheduled, and every token is sent no earlier than scheduled: so the client's
    time to first token is at least the TTFT booked, its whole stream at least the e2e booked.
    """
    twin = start_twin("normal", 600.0)
    url, max_tokens = twin.url("vllm-qwen"), 6
    for _ in range(3):
        before = _samples(twin, "vllm-qwen")
        first, last, chunks = _stream(url, chat, max_tokens)
        after = _samples(twin, "vllm-qwen")

        def delta(name: str, **labels: str) -> float:
            return _value(after, name, **labels) - _value(before, name, **labels)  # noqa: B023

        assert len(chunks) == max_tokens
        assert chunks[-1]["choices"][0]["finish_reason"] == "length"  # type: ignore[index]
        assert delta("vllm:time_to_first_token_seconds_count") == 1
        assert delta("vllm:inter_token_latency_seconds_count") == max_tokens - 1
        assert delta("vllm:e2e_request_latency_seconds_count") == 1
        assert delta("vllm:generation_tokens_total") == max_tokens
        assert delta("vllm:request_success_total", finished_reason="length") == 1
        handler = "/v1/chat/completions" if chat else "/v1/completions"
        assert delta("http_requests_total", handler=handler, status="2xx") == 1
        ttft = delta("vllm:time_to_first_token_seconds_sum")
        e2e = delta("vllm:e2e_request_latency_seconds_sum")
        itl_sum = delta("vllm:inter_token_latency_seconds_sum")
        assert 0 < ttft <= first
        assert e2e == pytest.approx(ttft + itl_sum) and e2e <= last
        # the booked TTFT lands in exactly one vLLM bucket, the one the scheduled value belongs to
        landed = [
            le for le in TTFT_BUCKETS if delta("vllm:time_to_first_token_seconds_bucket", le=str(le)) == 1
        ]
        assert landed and landed[0] >= ttft and (landed[0] == TTFT_BUCKETS[0] or ttft > _below(landed[0]))
        gaps = [delta("vllm:inter_token_latency_seconds_bucket", le=str(le)) for le in ITL_BUCKETS]
        assert gaps == sorted(gaps) and gaps[-1] <= max_tokens - 1


def _below(le: float) -> float:
    return TTFT_BUCKETS[TTFT_BUCKETS.index(le) - 1]


def _refused(url: str) -> bool:
    try:
        httpx.get(url + "/health", timeout=2)
    except httpx.ConnectError:
        return True
    return False


def _eventually(check: Callable[[], bool]) -> bool:
    """The supervisor applies a state change within a tick; wait a bounded number of ticks."""
    for _ in range(50):
        if check():
            return True
        time.sleep(0.1)
    return False


def test_crash_loop_refuses_while_down_and_answers_503_while_loading(
    start_twin: Callable[..., VllmTwin], db_path: Path
) -> None:
    # vllm-crash-loop kills llm-vllm-0-1 (the Llama engine) 25 s after each start, down for 15 s:
    # down in [25, 40), loading from 40 (a model load takes longer than the 25 s it lives).
    twin = start_twin("vllm-crash-loop", 30.0)
    llama, qwen = twin.url("vllm-llama"), twin.url("vllm-qwen")
    assert _eventually(lambda: _refused(llama))
    assert httpx.get(qwen + "/health").status_code == 200
    play(db_path, "vllm-crash-loop", 50.0)
    assert _eventually(lambda: not _refused(llama))
    assert httpx.get(llama + "/health").status_code == 503
    response = httpx.post(
        llama + "/v1/completions", json={"model": "meta-llama/Llama-3.1-70B-Instruct", "prompt": "x"}
    )
    assert response.status_code == 503
    samples = _samples(twin, "vllm-llama")
    assert _value(samples, "vllm:prompt_tokens_total") == 0  # a restarted engine counts from zero
    first_created = _value(samples, "vllm:prompt_tokens_created")
    play(db_path, "vllm-crash-loop", 90.0)  # killed at 65, started again at 80
    assert _eventually(
        lambda: (
            not _refused(llama)
            and _value(_samples(twin, "vllm-llama"), "vllm:prompt_tokens_created") > first_created
        )
    )
