"""Model metadata: local cache first, the (fake) Hub only when allowed, failures counted with backoff."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from vllm_fakeengine import FIXTURES
from vllm_fakehub import FakeHub

from exporters.vllm.engine import ServedModel
from exporters.vllm.hub import HubLookup
from exporters.vllm.metadata import MetadataError, ModelMetadata, offline_requested
from exporters.vllm.models import ModelsSource

CACHE = FIXTURES / "hf-cache"
QWEN3 = {
    "config": {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "torch_dtype": "bfloat16",
               "max_position_embeddings": 40960},
    "parameters": {"BF16": 8190735360},
    "license": "apache-2.0",
}  # fmt: skip


def test_cached_models_are_read_without_the_hub() -> None:
    hub = HubLookup(CACHE, "http://127.0.0.1:9", None, offline=False, timeout=1)  # port 9: nothing listens
    assert hub.lookup("meta-llama/Llama-3.1-70B-Instruct") == ModelMetadata(
        "LlamaForCausalLM", "bfloat16", "none", "llama3.1", 70_553_706_496, 131072
    )


def test_local_model_directory_counts_parameters_from_safetensors_headers() -> None:
    meta = HubLookup(None, None, None, offline=True, timeout=1).lookup(str(FIXTURES / "tiny-model"))
    assert meta == ModelMetadata("MistralForCausalLM", "float16", "awq", "mit", 16 * 8 * 2 + 8, 4096)


def test_online_lookup_fills_the_cache_and_unknown_models_are_not_found(tmp_path: Path) -> None:
    with FakeHub({"Qwen/Qwen3-8B": QWEN3}) as fake:
        hub = HubLookup(tmp_path, fake.url, None, offline=False, timeout=2)
        assert hub.lookup("Qwen/Qwen3-8B") == ModelMetadata(
            "Qwen3ForCausalLM", "bfloat16", "none", "apache-2.0", 8190735360, 40960
        )
        with pytest.raises(MetadataError) as caught:
            hub.lookup("nobody/no-such-model")
        assert caught.value.reason == "not_found"
    offline = HubLookup(tmp_path, None, None, offline=True, timeout=1).lookup("Qwen/Qwen3-8B")
    assert offline.context_length == 40960  # config.json landed in the cache


def test_offline_never_asks_the_hub(tmp_path: Path) -> None:
    with FakeHub({"Qwen/Qwen3-8B": QWEN3}) as fake:
        hub = HubLookup(tmp_path, fake.url, None, offline=True, timeout=2)
        with pytest.raises(MetadataError) as caught:
            hub.lookup("Qwen/Qwen3-8B")
        assert caught.value.reason == "not_cached"
        assert fake.requests == []
    assert offline_requested({"HF_HUB_OFFLINE": "1"}) and offline_requested({"HF_HUB_OFFLINE": "true"})
    assert not offline_requested({"HF_HUB_OFFLINE": "0"}) and not offline_requested({})


def test_bad_ids_and_broken_cache_entries(tmp_path: Path) -> None:
    hub = HubLookup(tmp_path, None, None, offline=True, timeout=1)
    with pytest.raises(MetadataError) as caught:
        hub.lookup("not a model id!")
    assert caught.value.reason == "invalid_id"
    shutil.copytree(CACHE, tmp_path, dirs_exist_ok=True)
    config = next((tmp_path / "models--Qwen--Qwen2.5-7B-Instruct").glob("snapshots/*/config.json"))
    config.write_text("{truncated")
    with pytest.raises(MetadataError) as caught:
        hub.lookup("Qwen/Qwen2.5-7B-Instruct")
    assert caught.value.reason == "malformed"


def test_models_source_exposes_metadata_and_backs_off_after_failures() -> None:
    now = [0.0]
    served = [
        ("a", ServedModel("qwen", "Qwen/Qwen2.5-7B-Instruct", "", 32768)),
        ("a", ServedModel("sql-lora", "/adapters/sql", "qwen", None)),
        ("b", ServedModel("ghost", "nobody/ghost", "", 4096)),
    ]
    source = ModelsSource(
        lambda: served, HubLookup(CACHE, None, None, offline=True, timeout=1),
        refresh=3600, retry=10, budget=5, clock=lambda: now[0],
    )  # fmt: skip
    for step in range(4):  # t = 0, 5, 10, 15: the ghost is retried at 0 and 10 only
        now[0] = step * 5.0
        values = {
            (s.name, tuple(sorted(s.labels.items()))): s.value for f in source.collect() for s in f.samples
        }
    info = [dict(labels) for name, labels in values if name == "llmon_model_info"]
    assert info == [{"model_name": "qwen", "architecture": "Qwen2ForCausalLM", "dtype": "bfloat16",
                     "quantization": "none", "license": "apache-2.0"}]  # fmt: skip
    assert values[("llmon_model_parameters", (("model_name", "qwen"),))] == 7_615_616_512
    assert values[("llmon_model_context_length", (("model_name", "qwen"),))] == 32768
    errors = values[
        ("llmon_model_metadata_errors_total", (("model_name", "ghost"), ("reason", "not_cached")))
    ]
    assert errors == 2
