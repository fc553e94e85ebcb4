"""The twin's world: seeded containers from the mock database, their state now, and wall-clock times.

A World reads the seed once (containers of one host plus ``extra`` synthetic ones for benchmarks) and,
on every ``snapshot(now)``, reads the scenario clock and history and asks the container engine for
each container's state. Scenario time becomes wall-clock time relative to ``now`` (tau - tau_now
seconds ago), so timestamps stay consistent across clock jumps and speed changes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from mock.db import HostSeed, current_clock, load_snapshot, open_db, read_history
from mock.engine_containers import ContainerSeed, ContainerState, Kill, container_state, container_timeline
from mock.errors import MockError
from mock.scenario import Scenario, get_scenario, load_scenarios
from mock.seed.containers import CONTAINER_KINDS, compose_labels, kind_of
from mock.twins.docker.vllm_ports import seeded_vllm_ports, vllm_port_bindings

BENCH_PROJECT = "bench"


@dataclass(frozen=True)
class Host:
    """The machine the daemon runs on, for /info and the host-wide figures in stats."""

    hostname: str
    ncpu: int
    mem_total: int
    kernel: str
    operating_system: str
    uptime_s: float  # at global scenario time 0


@dataclass(frozen=True)
class Snapshot:
    """Every container's state at wall-clock ``now``, with ``tau`` to convert engine times."""

    now: float
    tau: float
    scenario: str
    containers: tuple[ContainerState, ...]
    kills: dict[str, list[Kill]]  # by container name, global scenario time
    ports: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (container, host) port: vLLM

    def port_binding(self, name: str) -> tuple[int, int] | None:
        """(container port, host port) the container publishes on 127.0.0.1, if any."""
        return self.ports.get(name)

    def wall(self, tau: float) -> float:
        """Wall-clock time of a moment of global scenario time."""
        return self.now - (self.tau - tau)

    def find(self, ref: str) -> ContainerState | None:
        """A container by full id, unique id prefix or name (with or without '/'), as the daemon resolves."""
        name = ref.lstrip("/")
        for state in self.containers:
            if state.seed.container_id == ref or state.seed.name == name:
                return state
        matches = [s for s in self.containers if s.seed.container_id.startswith(ref)] if ref else []
        return matches[0] if len(matches) == 1 else None


def _kind_name(service: str) -> str:
    kind = kind_of(service)
    return next(name for name, k in CONTAINER_KINDS.items() if k is kind)


def _seed_from_row(row: sqlite3.Row, gpu_uuids: tuple[str, ...]) -> ContainerSeed:
    labels = json.loads(row["labels"])
    service = labels.get("com.docker.compose.service", row["name"])
    return ContainerSeed(
        container_id=row["container_id"], name=row["name"], image=row["image"], image_id=row["image_id"],
        command=row["command"], created_offset_s=row["created_offset_s"],
        restart_policy=row["restart_policy"], memory_limit_bytes=row["memory_limit_bytes"],
        cpu_limit=row["cpu_limit"], labels=labels, gpu_uuids=gpu_uuids, kind_name=_kind_name(service),
        kind=kind_of(service),
    )  # fmt: skip


def synthetic_containers(count: int, seed: int) -> list[ContainerSeed]:
    """``count`` small idle containers (ids derived from the seed) to load the exporter in benchmarks."""
    kind = CONTAINER_KINDS["bench-worker"]
    out = []
    for index in range(count):
        digest = hashlib.sha256(f"{seed}/bench/{index}".encode()).hexdigest()
        service = f"worker-{index:03d}"
        out.append(
            ContainerSeed(
                container_id=digest, name=f"{BENCH_PROJECT}-{service}-1", image=kind.image,
                image_id="sha256:" + hashlib.sha256(kind.image.encode()).hexdigest(), command=kind.command,
                created_offset_s=-3600.0 - index, restart_policy=kind.restart_policy,
                memory_limit_bytes=kind.memory_limit, cpu_limit=kind.cpu_limit,
                labels=compose_labels(BENCH_PROJECT, service, digest[:64], kind.image), gpu_uuids=(),
                kind_name="bench-worker", kind=kind,
            )
        )  # fmt: skip
    return out


def load_container_seeds(conn: sqlite3.Connection, host_id: int) -> list[ContainerSeed]:
    """The seeded containers of one host, in creation order."""
    conn.row_factory = sqlite3.Row
    try:
        gpu_rows = conn.execute(
            "SELECT cg.container_id AS cid, g.uuid AS uuid FROM container_gpus cg "
            "JOIN gpus g ON g.id = cg.gpu_id ORDER BY g.minor_number"
        ).fetchall()
        rows = conn.execute("SELECT * FROM containers WHERE host_id = ? ORDER BY id", (host_id,)).fetchall()
    except sqlite3.DatabaseError as exc:
        raise MockError(f"cannot read the containers from the mock database ({exc})") from None
    finally:
        conn.row_factory = None
    gpus: dict[int, list[str]] = {}
    for row in gpu_rows:
        gpus.setdefault(row["cid"], []).append(row["uuid"])
    return [_seed_from_row(row, tuple(gpus.get(row["id"], []))) for row in rows]


def _host(seed: HostSeed) -> Host:
    pretty = next(
        (
            line.split("=", 1)[1].strip('"')
            for line in seed.os_release.splitlines()
            if line.startswith("PRETTY_NAME=")
        ),
        "Linux",
    )
    return Host(
        hostname=seed.hostname, ncpu=len(seed.cpus), mem_total=seed.mem_total_kb * 1024,
        kernel=seed.kernel_release, operating_system=pretty, uptime_s=seed.uptime_s,
    )  # fmt: skip


class World:
    """Seeded containers of one host and their state on demand."""

    def __init__(
        self, db_path: Path, hostname: str | None = None, extra: int = 0, vllm_targets: Path | None = None
    ) -> None:
        self.db_path = db_path
        self.vllm_targets = vllm_targets
        self.scenarios: dict[str, Scenario] = load_scenarios()
        with open_db(db_path) as conn:
            snapshot = load_snapshot(conn)
            host = snapshot.host_named(hostname) if hostname else snapshot.hosts[0]
            self.seeds = load_container_seeds(conn, host.id) + synthetic_containers(extra, snapshot.seed)
            self.vllm_ports = seeded_vllm_ports(conn, host.id)
        self.host = _host(host)
        if not self.seeds:
            raise MockError(f"the mock database '{db_path}' has no containers for this host (re-seed it)")

    def snapshot(self, now: float) -> Snapshot:
        with open_db(self.db_path) as conn:
            clock = current_clock(conn, now)
            history = read_history(conn)
        played = [(get_scenario(self.scenarios, name), seconds) for name, seconds in history]
        scenario = get_scenario(self.scenarios, clock.scenario)
        t = clock.t(now)
        timeline = container_timeline(self.seeds, scenario, t, played)
        states = tuple(container_state(seed, timeline) for seed in self.seeds)
        return Snapshot(
            now=now, tau=timeline.tau, scenario=scenario.name, containers=states, kills=timeline.kills,
            ports=vllm_port_bindings(self.vllm_ports, self.vllm_targets),
        )  # fmt: skip
