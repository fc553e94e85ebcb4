"""Seeded Docker containers: what `docker ps -a` shows on each mocked host.

Every host runs its vLLM engines (GPUs handed over through an ``nvidia`` device request) and the
llmon exporters; the first host also runs the gateway and tracing stack: LiteLLM with its Postgres,
Langfuse web and worker with Postgres, Redis and ClickHouse, and llmon's own Prometheus, Alertmanager,
Grafana, Loki and Alloy. Names, labels and images follow what `docker compose up` creates
(``<project>-<service>-1`` and the com.docker.compose.* labels).

How a container behaves (CPU, memory, traffic, health check) is not stored: the twin derives it from
the compose service through ``CONTAINER_KINDS``, so the schema keeps only what Docker itself knows.
Randomness comes from a generator of its own seeded from the seed, so this hook neither consumes nor
depends on the other tables' random draws.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mock.seed.generate import SeedRows

GIB = 1024**3
MIB = 1024**2
LLMON_IMAGE = "llmon:0.1.0"
_STREAM = 0xD0C  # separates this generator's draws from every other seeded stream


@dataclass(frozen=True)
class ContainerKind:
    """How one kind of container behaves at calm load (load 1.0), and what Docker knows of it."""

    image: str
    command: str
    cpu_cores: float  # CPU seconds per second
    memory_bytes: float  # cgroup memory usage
    memory_limit: int | None
    cpu_limit: float | None  # --cpus
    rx_bytes: float  # per second
    tx_bytes: float
    read_bytes: float
    write_bytes: float
    pids: int
    healthcheck: bool
    restart_policy: str = "unless-stopped"


CONTAINER_KINDS: dict[str, ContainerKind] = {
    "vllm": ContainerKind(
        "vllm/vllm-openai:v0.11.0", "--model {model} --tensor-parallel-size {tp} --port 8000",
        2.4, 26 * GIB, 96 * GIB, None, 2.0e6, 6.5e6, 4.0e5, 1.5e5, 190, True,
    ),
    "litellm": ContainerKind(
        "ghcr.io/berriai/litellm:main-v1.77.7-stable", "--config /app/config.yaml --port 4000",
        0.7, 1.2 * GIB, 4 * GIB, 2.0, 9.0e6, 9.5e6, 2.0e4, 6.0e4, 44, True,
    ),
    "litellm-db": ContainerKind(
        "postgres:16-alpine", "postgres", 0.06, 320 * MIB, 2 * GIB, None, 2.0e5, 4.0e5, 5.0e4, 3.0e5, 14, True
    ),
    "langfuse-web": ContainerKind(
        "langfuse/langfuse:3", "node web/server.js --keepAliveTimeout 110000",
        0.3, 760 * MIB, 4 * GIB, 2.0, 1.5e6, 1.1e6, 1.0e4, 2.0e4, 24, True,
    ),
    "langfuse-worker": ContainerKind(
        "langfuse/langfuse-worker:3", "node worker/dist/index.js",
        0.45, 940 * MIB, 4 * GIB, 2.0, 2.2e6, 2.6e6, 1.0e4, 4.0e4, 26, False,
    ),
    "postgres": ContainerKind(
        "postgres:17", "postgres", 0.1, 540 * MIB, 4 * GIB, None, 6.0e5, 9.0e5, 2.0e5, 8.0e5, 18, True
    ),
    "redis": ContainerKind(
        "redis:7", "redis-server --requirepass ***", 0.04, 64 * MIB, 512 * MIB, None, 9.0e5, 8.0e5, 0.0,
        4.0e3, 6, True,
    ),
    "clickhouse": ContainerKind(
        "clickhouse/clickhouse-server:24.12", "/entrypoint.sh",
        0.55, 3.1 * GIB, 16 * GIB, None, 1.8e6, 5.0e5, 3.5e6, 2.4e6, 410, True,
    ),
    "prometheus": ContainerKind(
        "prom/prometheus:v3.5.5", "--config.file=/etc/prometheus/prometheus.yml",
        0.18, 880 * MIB, 4 * GIB, None, 4.0e5, 3.0e4, 2.0e4, 3.5e5, 22, True,
    ),
    "alertmanager": ContainerKind(
        "prom/alertmanager:v0.33.1", "--config.file=/etc/alertmanager/alertmanager.yml",
        0.01, 38 * MIB, 256 * MIB, None, 6.0e3, 5.0e3, 0.0, 1.0e3, 14, True,
    ),
    "grafana": ContainerKind(
        "grafana/grafana:12.4.10", "", 0.04, 180 * MIB, 1 * GIB, None, 4.0e4, 1.2e5, 1.0e3, 6.0e3, 20, True
    ),
    "loki": ContainerKind(
        "grafana/loki:3.7.6", "-config.file=/etc/loki/loki-config.yml",
        0.08, 310 * MIB, 2 * GIB, None, 1.6e5, 1.0e4, 1.0e4, 1.4e5, 21, True,
    ),
    "alloy": ContainerKind(
        "grafana/alloy:v1.18.1", "run /etc/alloy/config.alloy", 0.05, 150 * MIB, 1 * GIB, None, 1.0e4,
        1.6e5, 2.0e4, 1.0e3, 19, False,
    ),
    "exporter": ContainerKind(
        LLMON_IMAGE, "llmon-{service}", 0.02, 45 * MIB, 256 * MIB, 0.5, 2.0e3, 3.0e4, 0.0, 0.0, 5, True
    ),
    "bench-worker": ContainerKind(
        "busybox:1.37", "sleep infinity", 0.01, 8 * MIB, 128 * MIB, None, 1.0e2, 1.0e2, 0.0, 0.0, 1, False,
        restart_policy="no",
    ),
}  # fmt: skip

# (compose project, service, kind) of the gateway and tracing stack on the first host.
GATEWAY_STACK = (
    ("llm", "litellm", "litellm"),
    ("llm", "litellm-db", "litellm-db"),
    ("langfuse", "langfuse-web", "langfuse-web"),
    ("langfuse", "langfuse-worker", "langfuse-worker"),
    ("langfuse", "postgres", "postgres"),
    ("langfuse", "redis", "redis"),
    ("langfuse", "clickhouse", "clickhouse"),
    ("llmon", "prometheus", "prometheus"),
    ("llmon", "alertmanager", "alertmanager"),
    ("llmon", "grafana", "grafana"),
    ("llmon", "loki", "loki"),
    ("llmon", "alloy", "alloy"),
)
EXPORTERS = ("node-exporter", "gpu-exporter", "container-exporter")
VLLM_MODELS = ("meta-llama/Llama-3.1-70B-Instruct", "Qwen/Qwen2.5-7B-Instruct")


def kind_of(service: str) -> ContainerKind:
    """The behaviour of a compose service's container (exporters share one, unknown ones are tiny)."""
    if service.startswith("vllm"):
        return CONTAINER_KINDS["vllm"]
    if service.endswith("-exporter"):
        return CONTAINER_KINDS["exporter"]
    return CONTAINER_KINDS.get(service, CONTAINER_KINDS["bench-worker"])


def compose_labels(project: str, service: str, config_hash: str, image: str) -> dict[str, str]:
    """The labels docker compose v2 puts on every container it creates."""
    return {
        "com.docker.compose.config-hash": config_hash,
        "com.docker.compose.container-number": "1",
        "com.docker.compose.depends_on": "",
        "com.docker.compose.image": image,
        "com.docker.compose.oneoff": "False",
        "com.docker.compose.project": project,
        "com.docker.compose.project.config_files": f"/srv/{project}/docker-compose.yml",
        "com.docker.compose.project.working_dir": f"/srv/{project}",
        "com.docker.compose.service": service,
        "com.docker.compose.version": "2.39.2",
    }


def _vllm_groups(gpu_ids: list[int]) -> list[list[int]]:
    """Two engines: the first takes the larger half of the GPUs (tensor parallel), the second the rest."""
    if len(gpu_ids) < 2:
        return [gpu_ids, []]
    half = (len(gpu_ids) + 1) // 2
    return [gpu_ids[:half], gpu_ids[half:]]


def fill_containers(rows: SeedRows, seed: int) -> None:
    """Add the containers (and their GPU assignments) of every seeded host; call after GPUs are added."""
    rng = np.random.default_rng([seed, _STREAM])
    gpus = rows.tables.get("gpus", [])
    next_id = 1
    for host in rows.tables.get("hosts", []):
        host_id = int(host["id"])  # type: ignore[call-overload]
        host_gpus = [int(g["id"]) for g in gpus if g["host_id"] == host_id]  # type: ignore[call-overload]
        services: list[tuple[str, str, list[int], str]] = []  # project, service, gpu ids, model
        for index, group in enumerate(_vllm_groups(host_gpus)):
            services.append(("llm", f"vllm-{index}", group, VLLM_MODELS[index % len(VLLM_MODELS)]))
        if host_id == 1:
            services += [(project, service, [], "") for project, service, _ in GATEWAY_STACK]
        services += [("llmon", service, [], "") for service in EXPORTERS]
        created_base = -float(rng.uniform(5, 40)) * 86400
        for project, service, gpu_ids, model in services:
            kind = kind_of(service)
            image = kind.image
            labels = compose_labels(project, service, rng.bytes(32).hex(), image)
            command = kind.command.format(model=model, tp=max(1, len(gpu_ids)), service=service)
            rows.add(
                "containers", id=next_id, host_id=host_id, container_id=rng.bytes(32).hex(),
                name=f"{project}-{service}-1", image=image, image_id="sha256:" + rng.bytes(32).hex(),
                command=command, created_offset_s=round(created_base + float(rng.uniform(0, 600)), 3),
                restart_policy=kind.restart_policy, memory_limit_bytes=kind.memory_limit,
                cpu_limit=kind.cpu_limit, labels=json.dumps(labels, sort_keys=True),
            )  # fmt: skip
            for gpu_id in gpu_ids:
                rows.add("container_gpus", container_id=next_id, gpu_id=gpu_id)
            next_id += 1
