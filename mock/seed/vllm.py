"""Seeded vLLM deployments: which engine serves which model on which port, in which container.

Every vLLM container the container seed created (compose services ``vllm-0``, ``vllm-1``, ...) becomes
one deployment. The deployment also owns what Docker shows of the engine: the image tag is the vLLM
version it runs, and the labels ``llmon.vllm=true`` / ``llmon.vllm.deployment=<name>`` are what llmon's
Docker discovery keys on, so this hook rewrites those two fields of the container rows it adopts (call it
after ``fill_containers``). The engine listens on 8000 inside its container; the host port is the
deployment's ``port``. Deterministic without randomness: everything follows from the containers and GPUs
seeded before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mock.seed.generate import SeedRows

VLLM_VERSION = "0.11.0"
VLLM_IMAGE = "vllm/vllm-openai"
CONTAINER_PORT = 8000
FIRST_HOST_PORT = 8000
BLOCK_SIZE = 16
KV_BYTES_PER_TOKEN_PER_BILLION = 4_600  # K+V bytes per token per billion parameters (bf16, GQA models)
DISCOVERY_LABEL = "llmon.vllm"
DEPLOYMENT_LABEL = "llmon.vllm.deployment"


@dataclass(frozen=True)
class ModelFacts:
    """What the model card and config.json say about a model the engines serve."""

    short: str  # deployment name stem
    params_billion: float
    max_model_len: int
    dtype: str
    lora: tuple[str, str] | None = None  # (adapter name, adapter path) served next to the base model


MODELS: dict[str, ModelFacts] = {
    "meta-llama/Llama-3.1-70B-Instruct": ModelFacts("llama", 70.6, 32768, "bfloat16"),
    "Qwen/Qwen2.5-7B-Instruct": ModelFacts(
        "qwen", 7.62, 32768, "bfloat16", lora=("qwen2.5-7b-support-lora", "/adapters/support-lora")
    ),
}


def deployment_name(short: str, host_id: int, hostname: str) -> str:
    """``vllm-<model>`` on the first host (the one the demo serves), host-qualified elsewhere."""
    return f"vllm-{short}" if host_id == 1 else f"vllm-{short}-{hostname}"


def _gpu_memory_bytes(rows: SeedRows, gpu_ids: list[int]) -> int:
    gpu_model = {int(g["id"]): int(g["gpu_model_id"]) for g in rows.tables.get("gpus", [])}  # type: ignore[call-overload]
    memory = {int(m["id"]): int(m["memory_total_bytes"]) for m in rows.tables.get("gpu_models", [])}  # type: ignore[call-overload]
    return sum(memory[gpu_model[gpu_id]] for gpu_id in gpu_ids) or 80 * 1024**3


def _num_gpu_blocks(gpu_bytes: int, utilization: float, facts: ModelFacts) -> int:
    """Blocks left for the KV cache after the weights, as vLLM's profiler finds them."""
    weights = facts.params_billion * 1e9 * 2
    free = max(gpu_bytes * utilization - weights, 2.0e9)
    per_block = KV_BYTES_PER_TOKEN_PER_BILLION * facts.params_billion * BLOCK_SIZE
    return int(free // per_block)


def fill_vllm(rows: SeedRows, seed: int) -> None:
    """Add a deployment (and its served models) for every seeded vLLM container."""
    del seed  # nothing random: kept for the same hook signature as the other fillers
    hostnames = {int(h["id"]): str(h["hostname"]) for h in rows.tables.get("hosts", [])}  # type: ignore[call-overload]
    container_gpus: dict[int, list[int]] = {}
    for link in rows.tables.get("container_gpus", []):
        container_gpus.setdefault(int(link["container_id"]), []).append(int(link["gpu_id"]))  # type: ignore[call-overload]
    next_port: dict[int, int] = {}
    deployment_id = 0
    for container in rows.tables.get("containers", []):
        labels = json.loads(str(container["labels"]))
        if not labels.get("com.docker.compose.service", "").startswith("vllm"):
            continue
        command = str(container["command"]).split()
        model = command[command.index("--model") + 1]
        facts = MODELS[model]
        host_id = int(container["host_id"])  # type: ignore[call-overload]
        gpus = container_gpus.get(int(container["id"]), [])  # type: ignore[call-overload]
        name = deployment_name(facts.short, host_id, hostnames[host_id])
        port = next_port.get(host_id, FIRST_HOST_PORT)
        next_port[host_id] = port + 1
        image = f"{VLLM_IMAGE}:v{VLLM_VERSION}"
        labels.update({DISCOVERY_LABEL: "true", DEPLOYMENT_LABEL: name, "com.docker.compose.image": image})
        container["image"] = image
        container["labels"] = json.dumps(labels, sort_keys=True)
        deployment_id += 1
        utilization = 0.9
        rows.add(
            "vllm_deployments", id=deployment_id, host_id=host_id, container_id=container["id"], name=name,
            port=port, vllm_version=VLLM_VERSION, engine_version="V1", tensor_parallel_size=max(1, len(gpus)),
            pipeline_parallel_size=1, gpu_memory_utilization=utilization, max_model_len=facts.max_model_len,
            max_num_seqs=256, max_num_batched_tokens=8192, block_size=BLOCK_SIZE,
            num_gpu_blocks=_num_gpu_blocks(_gpu_memory_bytes(rows, gpus), utilization, facts),
            kv_cache_dtype="auto",
        )  # fmt: skip
        for gpu_id in gpus:
            rows.add("vllm_deployment_gpus", deployment_id=deployment_id, gpu_id=gpu_id)
        rows.add(
            "vllm_served_models", deployment_id=deployment_id, model_name=model, root=model, parent=None,
            dtype=facts.dtype, max_model_len=facts.max_model_len, params_billion=facts.params_billion,
        )  # fmt: skip
        if facts.lora:
            adapter, path = facts.lora
            rows.add(
                "vllm_served_models", deployment_id=deployment_id, model_name=adapter, root=path,
                parent=model,
                dtype=facts.dtype, max_model_len=facts.max_model_len, params_billion=facts.params_billion,
            )  # fmt: skip
