"""The GPUs' state at scenario time t: a pure function of (scenario, seed rows, t, history).

Levels follow the ``gpu:`` targets of the scenario phases, piecewise-linear like the host's (see
mock/scenario.py), each GPU scaled by its seeded load factor and offset. Derived quantities follow the
hardware: clock-event reasons come from temperature against the SKU's slowdown threshold, draw against
the enforced power limit, and idleness; XID 48 (double-bit ECC error) adds an uncorrectable ECC error and
a pending row remap; a GPU listed in ``lost`` answers GpuIsLost from then on (XID 79).

The energy counter integrates the drawn power over the whole history (trapezoids on a 5 s grid plus
every knot), so rate(energy) matches the reported power and a scenario switch never makes it go back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mock.scenario import Scenario
from mock.twins.gpu.skus import SKUS, SkuProfile
from mock.twins.gpu.targets import GPU_CALM, GPU_CHANNELS

STEP_S = 5.0
XID_DOUBLE_BIT_ECC = 48
XID_FALLEN_OFF_BUS = 79
MIB = 1024**2
CONTEXT_BYTES = 512 * MIB  # what the CUDA context of a process holds besides its allocations
_CHANNEL = {name: i for i, name in enumerate(GPU_CHANNELS)}


@dataclass(frozen=True)
class MigSeed:
    gpu_instance_id: int
    compute_instance_id: int
    profile: str
    memory_bytes: int
    uuid: str


@dataclass(frozen=True)
class ProcessSeed:
    pid: int
    kind: str  # compute | graphics
    container_id: str | None  # 64 hex
    unit: str | None
    memory_bytes: int | None  # None: a share of what the GPU has in use


@dataclass(frozen=True)
class GpuSeed:
    index: int
    uuid: str
    serial: str | None
    pci_bus_id: str
    vbios_version: str
    name: str
    brand: str
    memory_total: int
    power_default_w: float
    temp_shutdown_c: float
    temp_slowdown_c: float
    temp_max_operating_c: float
    temp_memory_max_c: float | None
    sm_clock_max_mhz: int
    memory_clock_max_mhz: int
    pcie_generation_max: int
    pcie_width_max: int
    fan: bool
    mig_enabled: bool
    temp_offset_c: float
    load_factor: float
    ecc_corrected_aggregate: int
    pcie_replays: int
    energy_offset_j: float
    mig: tuple[MigSeed, ...]
    processes: tuple[ProcessSeed, ...]

    @property
    def sku(self) -> SkuProfile:
        return SKUS[self.name]


@dataclass(frozen=True)
class HostGpus:
    hostname: str
    uptime_s: float
    gpus: tuple[GpuSeed, ...]


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
    cur = conn.execute(sql, params)
    cur.row_factory = sqlite3.Row
    return cur.fetchall()


def container_pid(container_row: int, gpu_index: int) -> int:
    """Deterministic host pids for the vLLM worker of each (container, GPU)."""
    return 30_000 + container_row * 97 + gpu_index


def load_host_gpus(conn: sqlite3.Connection, hostname: str | None) -> HostGpus:
    """The GPUs of a seeded host (default: the first host that has GPUs); LookupError names the choices."""
    hosts = _rows(
        conn, "SELECT id, hostname, uptime_s FROM hosts WHERE id IN (SELECT host_id FROM gpus) ORDER BY id"
    )
    chosen = [h for h in hosts if hostname in (None, h["hostname"])]
    if not chosen:
        known = ", ".join(h["hostname"] for h in hosts) or "none"
        raise LookupError(f"no seeded host {hostname!r} with GPUs (known: {known})")
    host = chosen[0]
    gpus = []
    for row in _rows(
        conn,
        "SELECT g.*, m.name AS model_name, m.*, t.* FROM gpus g JOIN gpu_models m ON m.id = g.gpu_model_id "
        "JOIN gpu_twin t ON t.gpu_id = g.id WHERE g.host_id = ? ORDER BY g.minor_number",
        (host["id"],),
    ):
        gpu_id = row["gpu_id"]
        mig = tuple(
            MigSeed(
                r["gpu_instance_id"], r["compute_instance_id"], r["profile"], r["memory_bytes"], r["uuid"]
            )
            for r in _rows(
                conn, "SELECT * FROM gpu_mig_instances WHERE gpu_id = ? ORDER BY gpu_instance_id", (gpu_id,)
            )
        )
        processes = [
            ProcessSeed(r["pid"], r["kind"], None, r["unit"], r["memory_bytes"])
            for r in _rows(conn, "SELECT * FROM gpu_processes WHERE gpu_id = ? ORDER BY pid", (gpu_id,))
        ]
        processes += [
            ProcessSeed(container_pid(r["id"], row["minor_number"]), "compute", r["container_id"], None, None)
            for r in _rows(
                conn,
                "SELECT c.id, c.container_id FROM containers c "
                "JOIN container_gpus cg ON cg.container_id = c.id WHERE cg.gpu_id = ? ORDER BY c.id",
                (gpu_id,),
            )
        ]
        gpus.append(
            GpuSeed(
                index=row["minor_number"],
                uuid=row["uuid"],
                serial=row["serial"],
                pci_bus_id=row["pci_bus_id"],
                vbios_version=row["vbios_version"],
                name=row["model_name"],
                brand=row["brand"],
                memory_total=row["memory_total_bytes"],
                power_default_w=row["power_limit_w"],
                temp_shutdown_c=row["temp_shutdown_c"],
                temp_slowdown_c=row["temp_slowdown_c"],
                temp_max_operating_c=row["temp_max_operating_c"],
                temp_memory_max_c=row["temp_memory_max_operating_c"],
                sm_clock_max_mhz=row["sm_clock_max_mhz"],
                memory_clock_max_mhz=row["memory_clock_max_mhz"],
                pcie_generation_max=row["pcie_generation_max"],
                pcie_width_max=row["pcie_width_max"],
                fan=bool(row["fan_supported"]),
                mig_enabled=bool(row["mig_enabled"]),
                temp_offset_c=row["temp_offset_c"],
                load_factor=row["load_factor"],
                ecc_corrected_aggregate=row["ecc_corrected_aggregate"],
                pcie_replays=row["pcie_replays"],
                energy_offset_j=row["energy_offset_j"],
                mig=mig,
                processes=tuple(processes),
            )
        )
    return HostGpus(host["hostname"], float(host["uptime_s"]), tuple(gpus))


# --- the scenario's gpu channels over time ---------------------------------------------------------


class GpuProfile:
    """The ``gpu:`` level channels of a scenario as piecewise-linear functions (knots and values)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.period = scenario.duration if scenario.loop else None
        current = dict(GPU_CALM)
        resolved = []
        for phase in scenario.phases:
            current = {**current, **phase.gpu.levels()}
            resolved.append(np.array([current[c] for c in GPU_CHANNELS]))
        previous = resolved[-1] if scenario.loop else np.array([GPU_CALM[c] for c in GPU_CHANNELS])
        times: list[float] = []
        values: list[np.ndarray] = []
        for phase, target in zip(scenario.phases, resolved, strict=True):
            times += [phase.start, phase.start + phase.ramp]
            values += [previous, target]
            previous = target
        end = self.period if self.period is not None else times[-1] + 1.0
        times.append(end)
        values.append(previous)
        self.times = np.array(times)
        self.values = np.array(values)

    def local(self, t: float) -> float:
        return t % self.period if self.period else t

    def at(self, ts: np.ndarray) -> np.ndarray:
        """Channel values at scenario times ``ts``: shape (len(ts), channels)."""
        local = np.mod(ts, self.period) if self.period else ts
        return np.stack(
            [np.interp(local, self.times, self.values[:, c]) for c in range(len(GPU_CHANNELS))], 1
        )

    def power_integral(self, gpu: GpuSeed, t: float) -> float:
        """Joules drawn over scenario time [0, t] (trapezoids on knots plus a STEP_S grid)."""
        if t <= 0:
            return 0.0
        knots = self.times[self.times < t] if not self.period else np.array([])
        grid = np.unique(np.concatenate([np.arange(0.0, t, STEP_S), knots, [t]]))
        watts = power_watts(gpu, self.at(grid))
        return float(np.sum((watts[1:] + watts[:-1]) * np.diff(grid)) / 2.0)

    def events_until(self, t: float) -> list[tuple[float, str, int, int]]:
        """(time, kind, gpu index, code) of the events that happened in [0, t] ("xid" or "lost")."""
        events = []
        starts = [p.start for p in self.scenario.phases]
        cycles = int(t // self.period) + 1 if self.period else 1
        for cycle in range(cycles):
            offset = cycle * (self.period or 0.0)
            for start, phase in zip(starts, self.scenario.phases, strict=True):
                at = offset + start
                if at > t:
                    continue
                events += [(at, "xid", e.gpu, e.code) for e in phase.gpu.xid]
                events += [(at, "lost", index, XID_FALLEN_OFF_BUS) for index in phase.gpu.lost]
        return sorted(events)


def power_watts(gpu: GpuSeed, levels: np.ndarray) -> np.ndarray:
    """Drawn power for channel rows: the scenario's ratio times the load factor, kept under the limit."""
    ratio = levels[..., _CHANNEL["power_ratio"]] * gpu.load_factor
    limit = levels[..., _CHANNEL["power_limit_ratio"]]
    floor = gpu.sku.idle_power_ratio
    return gpu.power_default_w * np.clip(ratio, floor, limit)


# --- one GPU's state -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GpuState:
    seed: GpuSeed
    lost: bool
    utilization: float
    memory_utilization: float
    memory_used: int
    memory_reserved: int
    temperature: float
    memory_temperature: float | None
    power_w: float
    power_limit_w: float
    energy_j: float
    sm_clock_mhz: int
    memory_clock_mhz: int
    reasons: int
    performance_state: int
    fan_ratio: float | None
    pcie_generation: int
    ecc: dict[tuple[int, int], int]  # (error type, counter type) -> count
    remapped_rows: tuple[int, int, bool, bool]
    pcie_replays: int
    xids: tuple[tuple[float, int], ...]  # (scenario time, code) of XIDs raised in this scenario
    processes: tuple[tuple[ProcessSeed, int], ...]  # (process, used bytes)
    mig_used: tuple[int, ...]  # per MIG instance


def _processes(gpu: GpuSeed, used: int) -> tuple[tuple[ProcessSeed, int], ...]:
    fixed = sum(p.memory_bytes or 0 for p in gpu.processes)
    shared = [p for p in gpu.processes if p.memory_bytes is None]
    share = max(used - fixed - CONTEXT_BYTES, 0) // max(len(shared), 1)
    return tuple((p, p.memory_bytes if p.memory_bytes is not None else share) for p in gpu.processes)


def gpu_states(
    host: HostGpus, scenario: Scenario, t: float, history: Sequence[tuple[Scenario, float]] = ()
) -> tuple[GpuState, ...]:
    """Every GPU of ``host`` at scenario time ``t`` after the ``history`` of (scenario, seconds played)."""
    profile = GpuProfile(scenario)
    played = [(GpuProfile(s), d) for s, d in history]
    levels = profile.at(np.array([t]))[0]
    events = profile.events_until(t)
    past_events = [e for p, d in played for e in p.events_until(d)]
    states = []
    for gpu in host.gpus:
        calm_w = float(power_watts(gpu, np.array([GPU_CALM[c] for c in GPU_CHANNELS])))
        energy = gpu.energy_offset_j + host.uptime_s * calm_w
        energy += sum(p.power_integral(gpu, d) for p, d in played) + profile.power_integral(gpu, t)
        states.append(_one(gpu, levels, energy, events, past_events))
    return tuple(states)


def _one(
    gpu: GpuSeed,
    levels: np.ndarray,
    energy: float,
    events: list[tuple[float, str, int, int]],
    past_events: list[tuple[float, str, int, int]],
) -> GpuState:
    def level(name: str) -> float:
        return float(levels[_CHANNEL[name]])

    mine = [e for e in events if e[2] == gpu.index]
    double_bit = sum(
        1 for e in mine + [e for e in past_events if e[2] == gpu.index] if e[3] == XID_DOUBLE_BIT_ECC
    )
    utilization = min(1.0, level("utilization") * gpu.load_factor)
    power = float(power_watts(gpu, levels))
    limit = gpu.power_default_w * level("power_limit_ratio")
    temperature = level("temperature") + gpu.temp_offset_c
    reasons = 0
    if utilization < 0.05:
        reasons |= 0x1
    if power >= limit * 0.98:
        reasons |= 0x4
    if temperature >= gpu.temp_slowdown_c - 3.0:
        reasons |= 0x20
    if temperature >= gpu.temp_slowdown_c:
        reasons |= 0x40
    used = int(gpu.memory_total * level("memory_used_ratio"))
    reserved = int(gpu.memory_total * 0.006)
    sm_clock = int(gpu.sm_clock_max_mhz * level("clock_ratio") * (0.35 if reasons & 0x1 else 1.0))
    return GpuState(
        seed=gpu,
        lost=any(kind == "lost" for _, kind, _, _ in mine),
        utilization=utilization,
        memory_utilization=utilization * 0.55,
        memory_used=used,
        memory_reserved=reserved,
        temperature=temperature,
        memory_temperature=None
        if gpu.sku.memory_temp_offset_c is None
        else temperature + gpu.sku.memory_temp_offset_c,
        power_w=power,
        power_limit_w=limit,
        energy_j=energy,
        sm_clock_mhz=sm_clock,
        memory_clock_mhz=gpu.memory_clock_max_mhz if utilization >= 0.05 else gpu.memory_clock_max_mhz // 4,
        reasons=reasons,
        performance_state=8 if reasons & 0x1 else 0,
        fan_ratio=min(1.0, max(0.3, (temperature - 30.0) / 60.0)) if gpu.fan else None,
        pcie_generation=gpu.pcie_generation_max if utilization >= 0.05 else gpu.sku.pcie_generation_idle - 1,
        ecc={(0, 0): 0, (0, 1): gpu.ecc_corrected_aggregate, (1, 0): double_bit, (1, 1): double_bit},
        remapped_rows=(0, double_bit, double_bit > 0, False),
        pcie_replays=gpu.pcie_replays,
        xids=tuple((at, code) for at, kind, _, code in mine if kind == "xid")
        + tuple((at, code) for at, kind, _, code in mine if kind == "lost"),
        processes=_processes(gpu, used),
        mig_used=tuple(int(m.memory_bytes * level("memory_used_ratio")) for m in gpu.mig),
    )
