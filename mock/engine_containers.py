"""The scenario engine for Docker containers: each container's state as a pure function of time.

Like the host engine (mock/engine.py), everything is computed from (seeded containers, scenarios
played, t) with no clock and no I/O, so a test can ask for the state at t=300 s directly:

- the ``containers.load`` target of the phases is a piecewise-linear function of scenario time (ramped
  like the host targets), so a container's counters (CPU seconds, bytes) are exact integrals of
  ``calm rate x load`` since the container last started, and they restart from zero when Docker
  restarts it, as a new cgroup does;
- incidents (mock/scenario_containers.py) put kills on the global timeline; after each kill the
  container is "restarting" for ``down`` seconds and then starts again with RestartCount + 1; before an
  OOM kill its memory climbs from its usual level to the limit.

Global time tau is the time since the first scenario began (mock_history plus the current scenario);
negative tau is the calm past in which the seeded containers were created.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from mock.scenario import Scenario
from mock.scenario_containers import CALM_CONTAINER_LOAD, ContainerIncident
from mock.seed.containers import ContainerKind

# Seconds a health check reports "starting" after the container starts (vLLM loads model weights).
HEALTH_START_S = {"vllm": 45.0}
DEFAULT_HEALTH_START_S = 5.0
CFS_PERIODS_PER_S = 10.0  # the default 100 ms CFS period
THROTTLE_FACTOR = 0.5  # share of periods throttled per unit of (calm demand / limit) at load 1
RX_PACKET_BYTES, TX_PACKET_BYTES = 900.0, 1200.0
IO_BYTES_PER_OP = 16384.0
SEED_START_DELAY_S = 2.0  # a container starts this long after it is created
OOM_LEAK_S = 300.0  # before an OOM kill memory climbs over this long (or since the start, if shorter)
LOOKAHEAD_S = 86400.0  # how far past "now" kills are planned, so a leak knows when it will end
FILE_SHARE = 0.22  # page cache share of a container's memory; squeezed out as a leak nears the limit


@dataclass(frozen=True)
class ContainerSeed:
    """One seeded (or synthetic) container: what Docker knows and how it behaves."""

    container_id: str
    name: str
    image: str
    image_id: str
    command: str
    created_offset_s: float
    restart_policy: str
    memory_limit_bytes: int | None
    cpu_limit: float | None
    labels: dict[str, str]
    gpu_uuids: tuple[str, ...]
    kind_name: str
    kind: ContainerKind

    @property
    def service(self) -> str:
        return self.labels.get("com.docker.compose.service", self.name)


@dataclass(frozen=True)
class Kill:
    tau: float
    restart_tau: float
    oom: bool
    exit_code: int


@dataclass(frozen=True)
class Usage:
    """Cumulative counters since the container last started, and current levels."""

    cpu_seconds: float
    file_share: float  # page cache share of memory_bytes
    throttled_periods: float
    periods: float
    memory_bytes: float
    rx_bytes: float
    tx_bytes: float
    read_bytes: float
    write_bytes: float
    pids: int

    @property
    def rx_packets(self) -> int:
        return int(self.rx_bytes / RX_PACKET_BYTES)

    @property
    def tx_packets(self) -> int:
        return int(self.tx_bytes / TX_PACKET_BYTES)


@dataclass(frozen=True)
class ContainerState:
    seed: ContainerSeed
    status: str  # running | restarting | exited
    oom_killed: bool
    exit_code: int
    restart_count: int
    started_tau: float
    finished_tau: float | None
    health: str | None  # None: no health check; starting | healthy | unhealthy
    usage: Usage | None  # None while not running (Docker returns empty stats)

    @property
    def running(self) -> bool:
        """Docker's State.Running: also true while restarting (the restart manager owns it)."""
        return self.status in ("running", "restarting")


# --- the load curve ------------------------------------------------------------------------------


class _LoadCurve:
    """One scenario's ``containers.load`` as knots of a piecewise-linear function, with integrals."""

    def __init__(self, scenario: Scenario) -> None:
        targets: list[float] = []
        current = CALM_CONTAINER_LOAD
        for phase in scenario.phases:
            if phase.containers.load is not None:
                current = phase.containers.load
            targets.append(current)
        self.period = scenario.duration if scenario.loop else None
        previous = targets[-1] if scenario.loop else CALM_CONTAINER_LOAD
        self.times: list[float] = []
        self.values: list[float] = []
        for phase, target in zip(scenario.phases, targets, strict=True):
            self.times += [phase.start, phase.start + phase.ramp]
            self.values += [previous, target]
            previous = target
        if self.period is not None:
            self.times.append(self.period)
            self.values.append(previous)
        self.areas = [0.0]
        for j in range(len(self.times) - 1):
            width = self.times[j + 1] - self.times[j]
            self.areas.append(self.areas[-1] + width * (self.values[j] + self.values[j + 1]) / 2)

    def _in_period(self, t: float) -> float:
        j = bisect_right(self.times, t) - 1
        if j >= len(self.times) - 1:
            return self.values[-1]
        t0, t1 = self.times[j], self.times[j + 1]
        return self.values[j] + (self.values[j + 1] - self.values[j]) * (t - t0) / (t1 - t0)

    def _split(self, t: float) -> tuple[int, float]:
        if self.period is None:
            return 0, t
        cycles = math.floor(t / self.period)
        return cycles, t - cycles * self.period

    def value(self, t: float) -> float:
        return self._in_period(self._split(t)[1])

    def integral(self, t: float) -> float:
        """Exact integral of the load over [0, t] of scenario time."""
        cycles, local = self._split(t)
        j = bisect_right(self.times, local) - 1
        partial = self.areas[j] + (local - self.times[j]) * (self.values[j] + self._in_period(local)) / 2
        return cycles * self.areas[-1] + partial


# --- the timeline of scenarios played ----------------------------------------------------------------


def _incident_targets(incident: ContainerIncident, names: Sequence[str]) -> list[str]:
    pattern = re.compile(incident.match)
    matched = sorted(name for name in names if pattern.search(name))
    return matched[:1] if incident.first_only else matched


def _local_kills(scenario: Scenario, span: float, names: Sequence[str]) -> dict[str, list[Kill]]:
    """Kills within [0, span] of one scenario, by container name, in scenario time."""
    kills: dict[str, list[Kill]] = {}
    period = scenario.duration if scenario.loop else None
    cycles = math.floor(span / period) + 1 if period else 1
    ends = [p.start for p in scenario.phases[1:]] + [period if period else math.inf]
    for cycle in range(cycles):
        offset = cycle * period if period else 0.0
        for phase, end in zip(scenario.phases, ends, strict=True):
            for incident in phase.containers.incidents:
                step = incident.period or math.inf
                at = phase.start + incident.after
                while at < end and offset + at <= span:
                    for name in _incident_targets(incident, names):
                        kills.setdefault(name, []).append(
                            Kill(
                                offset + at,
                                offset + at + incident.down,
                                incident.kind == "oom",
                                incident.code,
                            )
                        )
                    at += step
    return kills


class ContainerTimeline:
    """Scenarios played so far plus the current one, as load integrals and kills in global time."""

    def __init__(self, parts: Sequence[tuple[Scenario, float]], names: Sequence[str]) -> None:
        self.curves = [(_LoadCurve(scenario), duration) for scenario, duration in parts]
        starts = [0.0]
        for _, duration in parts[:-1]:
            starts.append(starts[-1] + duration)
        self.starts = starts
        self.tau = starts[-1] + parts[-1][1]
        self.kills: dict[str, list[Kill]] = {}
        for index, ((scenario, duration), start) in enumerate(zip(parts, starts, strict=True)):
            current = index == len(parts) - 1
            span = duration + LOOKAHEAD_S if current else duration
            for name, local in _local_kills(scenario, span, names).items():
                shifted = [Kill(k.tau + start, k.restart_tau + start, k.oom, k.exit_code) for k in local]
                self.kills.setdefault(name, []).extend(shifted)

    def load(self, tau: float) -> float:
        if tau <= 0:
            return CALM_CONTAINER_LOAD
        index = bisect_right(self.starts, tau) - 1
        curve, _ = self.curves[index]
        return curve.value(tau - self.starts[index])

    def _cumulative(self, tau: float) -> float:
        """Integral of the load from 0 to tau (negative before 0: the calm past)."""
        if tau <= 0:
            return CALM_CONTAINER_LOAD * tau
        total = 0.0
        for (curve, duration), start in zip(self.curves, self.starts, strict=True):
            if tau <= start:
                break
            total += curve.integral(min(duration, tau - start))
        return total

    def integral(self, a: float, b: float) -> float:
        return self._cumulative(b) - self._cumulative(a)


# --- one container -----------------------------------------------------------------------------------


def _usage(seed: ContainerSeed, timeline: ContainerTimeline, started: float, next_kill: Kill | None) -> Usage:
    kind, now = seed.kind, timeline.tau
    area = timeline.integral(started, now)
    load = timeline.load(now)
    limit = seed.memory_limit_bytes
    memory = kind.memory_bytes * (0.85 + 0.15 * min(load, 3.0))
    file_share = FILE_SHARE
    if next_kill is not None and next_kill.oom:
        # The leak starts OOM_LEAK_S before the kill, reaches the limit 40% of the way and thrashes there.
        ceiling = limit or kind.memory_bytes * 2
        leak_start = max(started, next_kill.tau - OOM_LEAK_S)
        progress = min(1.0, max(0.0, 2.5 * (now - leak_start) / max(next_kill.tau - leak_start, 1.0)))
        memory = memory + (0.995 * ceiling - memory) * progress
        file_share = FILE_SHARE - (FILE_SHARE - 0.02) * progress
    if limit:
        memory = min(memory, float(limit))
    periods = CFS_PERIODS_PER_S * (now - started) if seed.cpu_limit else 0.0
    throttled_share = THROTTLE_FACTOR * kind.cpu_cores / seed.cpu_limit if seed.cpu_limit else 0.0
    return Usage(
        cpu_seconds=kind.cpu_cores * area,
        file_share=file_share,
        throttled_periods=min(periods, CFS_PERIODS_PER_S * throttled_share * area),
        periods=periods,
        memory_bytes=memory,
        rx_bytes=kind.rx_bytes * area,
        tx_bytes=kind.tx_bytes * area,
        read_bytes=kind.read_bytes * area,
        write_bytes=kind.write_bytes * area,
        pids=max(1, round(kind.pids * (0.9 + 0.1 * min(load, 3.0)))),
    )


def container_state(seed: ContainerSeed, timeline: ContainerTimeline) -> ContainerState:
    now = timeline.tau
    kills = timeline.kills.get(seed.name, [])
    past = [k for k in kills if k.tau <= now]
    upcoming = next((k for k in kills if k.tau > now), None)
    restarts = seed.restart_policy != "no"
    restarted = [k for k in past if restarts and k.restart_tau <= now]
    started = restarted[-1].restart_tau if restarted else seed.created_offset_s + SEED_START_DELAY_S
    last = past[-1] if past else None
    health_start = HEALTH_START_S.get(seed.kind_name, DEFAULT_HEALTH_START_S)
    if last is not None and (not restarts or now < last.restart_tau):
        return ContainerState(
            seed=seed, status="restarting" if restarts else "exited", oom_killed=last.oom,
            exit_code=last.exit_code, restart_count=len(restarted), started_tau=started,
            finished_tau=last.tau, health="unhealthy" if seed.kind.healthcheck else None, usage=None,
        )  # fmt: skip
    health = None
    if seed.kind.healthcheck:
        health = "starting" if now - started < health_start else "healthy"
    return ContainerState(
        seed=seed, status="running", oom_killed=False, exit_code=0, restart_count=len(restarted),
        started_tau=started, finished_tau=last.tau if last else None, health=health,
        usage=_usage(seed, timeline, started, upcoming),
    )  # fmt: skip


def container_timeline(
    seeds: Sequence[ContainerSeed],
    scenario: Scenario,
    t: float,
    history: Sequence[tuple[Scenario, float]] = (),
) -> ContainerTimeline:
    """The load curve and kills of ``t`` seconds into ``scenario`` after ``history``."""
    if not math.isfinite(t) or t < 0:
        raise ValueError(f"scenario time must be a finite number >= 0, got {t!r}")
    return ContainerTimeline([*history, (scenario, t)], [s.name for s in seeds])


def container_states(
    seeds: Sequence[ContainerSeed],
    scenario: Scenario,
    t: float,
    history: Sequence[tuple[Scenario, float]] = (),
) -> list[ContainerState]:
    """Every container's state ``t`` seconds into ``scenario`` after ``history``. Pure."""
    timeline = container_timeline(seeds, scenario, t, history)
    return [container_state(seed, timeline) for seed in seeds]
