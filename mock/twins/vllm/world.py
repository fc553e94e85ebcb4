"""The engines one twin process serves: seeded deployments of a host, plus synthetic ones for benchmarks.

An :class:`Engine` is what vLLM was started with (model, lengths, cache geometry, version) and what the
twin needs to make its traffic (calm request rate, mean prompt and completion lengths). Versions below
0.8 run vLLM's V0 engine and expose the legacy metric names (see mock/twins/vllm/exposition.py).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, replace

from mock.db import read_rows
from mock.errors import DatabaseError, MockError
from mock.seed.vllm import BLOCK_SIZE, MODELS, VLLM_VERSION

FIRST_V1_VERSION = (0, 8)  # vLLM made the V1 engine (and its metric names) the default in 0.8
BENCH_PREFIX = "bench-vllm"
CALM_RATE_SCALE = 9.0  # calm requests per second of an engine = scale / sqrt(parameters in billions)
PROMPT_TOKENS = 820  # mean prompt length of the seeded traffic
GENERATION_TOKENS = 210  # mean completion length
MAX_TOKENS_PARAM = 512  # what clients send as max_tokens


@dataclass(frozen=True)
class ServedModel:
    """One entry of /v1/models: the base model or a LoRA adapter (``parent`` = its base model)."""

    model_name: str
    root: str
    parent: str | None
    max_model_len: int


@dataclass(frozen=True)
class Engine:
    deployment: str
    port: int  # seeded host port
    version: str
    models: tuple[ServedModel, ...]  # the base model first
    params_billion: float
    dtype: str
    tensor_parallel_size: int
    gpu_memory_utilization: float
    max_num_seqs: int
    max_num_batched_tokens: int
    block_size: int
    num_gpu_blocks: int
    kv_cache_dtype: str
    container: str | None  # the Docker twin's container running it (None: synthetic, always up)

    @property
    def model_name(self) -> str:
        """The ``model_name`` label vLLM puts on every metric: the first served name."""
        return self.models[0].model_name

    @property
    def max_model_len(self) -> int:
        return self.models[0].max_model_len

    @property
    def legacy(self) -> bool:
        """True for versions that run the V0 engine and its metric names."""
        return version_tuple(self.version) < FIRST_V1_VERSION

    @property
    def calm_requests_per_s(self) -> float:
        return round(CALM_RATE_SCALE / self.params_billion**0.5, 3)


def version_tuple(version: str) -> tuple[int, ...]:
    """(major, minor, patch) of a vLLM version string such as "0.11.0" or "0.5.3.post1"."""
    parts = []
    for piece in version.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def check_version(version: str) -> str:
    """A usable version string, or a one-line MockError."""
    if not version or not version[0].isdigit() or len(version_tuple(version)) < 2:
        raise MockError(f"--vllm-version: expected a version such as 0.11.0 or 0.5.1, got {version!r}")
    return version


def load_engines(conn: sqlite3.Connection, host_id: int) -> list[Engine]:
    """The seeded deployments of one host, in port order."""
    tables = {row["name"] for row in read_rows(conn, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "vllm_deployments" not in tables:
        raise DatabaseError("the mock database has no vLLM tables: seed it again (llmon-mock seed)")
    what = "the vLLM tables of the mock database"
    deployments = read_rows(
        conn,
        "SELECT d.*, c.name AS container_name FROM vllm_deployments d "
        "LEFT JOIN containers c ON c.id = d.container_id WHERE d.host_id = ? ORDER BY d.port",
        (host_id,),
        what=what,
    )
    engines = []
    for row in deployments:
        served = read_rows(
            conn,
            "SELECT * FROM vllm_served_models WHERE deployment_id = ? ORDER BY parent IS NOT NULL, id",
            (row["id"],),
            what=what,
        )
        if not served:
            raise DatabaseError(f"vLLM deployment {row['name']!r} serves no model: seed it again")
        engines.append(
            Engine(
                deployment=row["name"], port=row["port"], version=row["vllm_version"],
                models=tuple(
                    ServedModel(s["model_name"], s["root"], s["parent"], s["max_model_len"]) for s in served
                ),
                params_billion=served[0]["params_billion"], dtype=served[0]["dtype"],
                tensor_parallel_size=row["tensor_parallel_size"],
                gpu_memory_utilization=row["gpu_memory_utilization"], max_num_seqs=row["max_num_seqs"],
                max_num_batched_tokens=row["max_num_batched_tokens"], block_size=row["block_size"],
                num_gpu_blocks=row["num_gpu_blocks"], kv_cache_dtype=row["kv_cache_dtype"],
                container=row["container_name"],
            )
        )  # fmt: skip
    return engines


def synthetic_engines(count: int, first_port: int) -> list[Engine]:
    """``count`` always-up engines cycling over the seeded models, for fleet benchmarks."""
    models = list(MODELS.items())
    out = []
    for index in range(count):
        model, facts = models[index % len(models)]
        digest = int(hashlib.sha256(f"{BENCH_PREFIX}/{index}".encode()).hexdigest()[:6], 16)
        out.append(
            Engine(
                deployment=f"{BENCH_PREFIX}-{index:03d}", port=first_port + index, version=VLLM_VERSION,
                models=(ServedModel(model, model, None, facts.max_model_len),),
                params_billion=facts.params_billion, dtype=facts.dtype, tensor_parallel_size=1,
                gpu_memory_utilization=0.9, max_num_seqs=256, max_num_batched_tokens=8192,
                block_size=BLOCK_SIZE, num_gpu_blocks=20000 + digest % 5000, kv_cache_dtype="auto",
                container=None,
            )
        )  # fmt: skip
    return out


def select_engines(engines: list[Engine], wanted: str | None) -> list[Engine]:
    """``--deployments a,b`` (or ``none``); an unknown name is a one-line error listing the known ones."""
    if wanted is None:
        return engines
    names = [name.strip() for name in wanted.split(",") if name.strip()]
    if names == ["none"]:
        return []
    known = {engine.deployment: engine for engine in engines}
    missing = [name for name in names if name not in known]
    if missing:
        raise MockError(
            f"--deployments: unknown deployment {missing[0]!r} (known: {', '.join(known) or 'none'})"
        )
    return [known[name] for name in names]


def with_version(engines: list[Engine], version: str | None) -> list[Engine]:
    return engines if version is None else [replace(engine, version=version) for engine in engines]
