"""The fleet at a moment: each engine's phase (up / starting / down) and its traffic timeline.

An engine in a seeded container lives and dies with that container in the Docker twin
(mock/engine_containers.py, same seed and scenarios, so the crash schedules agree): while Docker restarts
it the engine is down (the twin closes its port: connection refused); for the first
``HEALTH_START_S["vllm"]`` seconds after a start it is loading the model (/health answers 503); then it is
up and its counters run from zero. Engines without a container (synthetic ones) have been up for days.
Times are scenario-history ``tau``; the engines' wall clock is ``origin + tau`` so a paused mock clock
freezes every timestamp (``_created`` values never move unless the engine restarts).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from mock.db import current_clock, load_snapshot, open_db, read_history
from mock.engine_containers import HEALTH_START_S, ContainerSeed, container_state, container_timeline
from mock.scenario import Scenario, get_scenario
from mock.twins.docker.world import load_container_seeds
from mock.twins.vllm.traffic import EngineTimeline
from mock.twins.vllm.world import Engine

LOAD_SECONDS = HEALTH_START_S["vllm"]  # model load + warm-up before the engine serves
SYNTHETIC_UPTIME_S = 3 * 86400.0
SNAPSHOT_TTL_S = 0.25  # concurrent scrapes of many engines share one clock read


@dataclass(frozen=True)
class EngineStatus:
    phase: str  # "up" | "starting" | "down"
    started_tau: float  # when the engine process last started
    restart_count: int

    @property
    def ready_tau(self) -> float:
        return self.started_tau + LOAD_SECONDS


@dataclass(frozen=True)
class FleetSnapshot:
    tau: float
    origin: float  # wall-clock time of tau 0
    scenario: str
    statuses: dict[str, EngineStatus]
    timelines: dict[str, EngineTimeline] = field(repr=False)

    def wall(self, tau: float) -> float:
        return self.origin + tau


def _status(tau: float, seed: ContainerSeed | None, timeline: object) -> EngineStatus:
    if seed is None:
        return EngineStatus("up", -SYNTHETIC_UPTIME_S, 0)
    state = container_state(seed, timeline)  # type: ignore[arg-type]
    if state.status != "running":
        return EngineStatus("down", state.started_tau, state.restart_count)
    phase = "starting" if tau - state.started_tau < LOAD_SECONDS else "up"
    return EngineStatus(phase, state.started_tau, state.restart_count)


class FleetClock:
    """Reads the mock clock and history and keeps each engine's timeline until the history changes."""

    def __init__(
        self, db_path: Path, engines: list[Engine], scenarios: dict[str, Scenario], host_id: int
    ) -> None:
        self._db_path = db_path
        self._engines = engines
        self._scenarios = scenarios
        with open_db(db_path) as conn:
            seeds = load_container_seeds(conn, host_id)
        by_name = {seed.name: seed for seed in seeds}
        self._seeds = seeds
        self._engine_seeds = {
            e.deployment: by_name.get(e.container) if e.container else None for e in engines
        }
        self._lock = threading.Lock()
        self._timelines: tuple[tuple[object, ...], dict[str, EngineTimeline]] | None = None
        self._cached: tuple[float, FleetSnapshot] | None = None

    @staticmethod
    def host_id(db_path: Path, hostname: str | None) -> int:
        with open_db(db_path) as conn:
            snapshot = load_snapshot(conn)
        return (snapshot.host_named(hostname) if hostname else snapshot.hosts[0]).id

    def snapshot(self) -> FleetSnapshot:
        now = time.time()
        with self._lock:
            if self._cached is not None and now - self._cached[0] < SNAPSHOT_TTL_S:
                return self._cached[1]
        with open_db(self._db_path) as conn:
            clock = current_clock(conn, now)
            history = read_history(conn)
        played = [(get_scenario(self._scenarios, name), float(seconds)) for name, seconds in history]
        scenario = get_scenario(self._scenarios, clock.scenario)
        t = clock.t(now)
        parts = [*played, (scenario, t)]
        tau = sum(d for _, d in played) + t
        containers = container_timeline(self._seeds, scenario, t, played) if self._seeds else None
        with self._lock:
            key = (tuple(history), scenario.name, clock.generation)
            if self._timelines is None or self._timelines[0] != key or self._stale(tau):
                timelines = {e.deployment: EngineTimeline(e, parts) for e in self._engines}
                self._timelines = (key, timelines)
            statuses = {
                e.deployment: _status(tau, self._engine_seeds[e.deployment], containers)
                for e in self._engines
            }
            snap = FleetSnapshot(
                tau, float(clock.origin_wall or now), scenario.name, statuses, self._timelines[1]
            )
            self._cached = (now, snap)
            return snap

    def _stale(self, tau: float) -> bool:
        assert self._timelines is not None
        return any(tl.horizon - tau < 60.0 or math.isnan(tl.horizon) for tl in self._timelines[1].values())
