"""The twin's view of the mock clock: traffic and generator for now, rebuilt only when needed.

The arrival index (traffic.py) is rebuilt when the scenario history changes or a new minute bucket
starts; in between, requests share it, so a request costs the rows it returns plus one clock read.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mock.db import current_clock, open_db, read_history
from mock.scenario import Scenario, get_scenario
from mock.twins.langfuse.events import Generator
from mock.twins.langfuse.schedule import Schedule
from mock.twins.langfuse.targets import LangfuseTargets
from mock.twins.langfuse.traffic import BUCKET_S, Traffic
from mock.twins.langfuse.world import World


@dataclass(frozen=True)
class Moment:
    """Everything one request answers from."""

    generator: Generator
    now: float  # virtual unix time
    targets: LangfuseTargets  # in force now

    @property
    def visible_until(self) -> float:
        """Events newer than this are still being ingested."""
        return self.now - self.targets.ingestion_delay


class TwinClock:
    def __init__(
        self, db_path: Path, world: World, scenarios: dict[str, Scenario], history_traces: int | None
    ) -> None:
        self._db_path = db_path
        self.world = world
        self._scenarios = scenarios
        self._history_traces = history_traces
        self._lock = threading.Lock()
        self._cached: tuple[tuple[Any, ...], Generator, Schedule] | None = None

    def moment(self) -> Moment:
        wall = time.time()
        with open_db(self._db_path) as conn:
            state = current_clock(conn, wall)
            history = read_history(conn)
        tau_now = state.t(wall) + sum(duration for _, duration in history)
        origin = float(state.origin_wall if state.origin_wall is not None else wall)
        key = (origin, tuple(history), state.scenario, math.floor(tau_now / BUCKET_S))
        with self._lock:
            if self._cached is None or self._cached[0] != key:
                played = [(get_scenario(self._scenarios, name), float(d)) for name, d in history]
                schedule = Schedule(played, get_scenario(self._scenarios, state.scenario))
                traffic = Traffic(self.world, origin, schedule, tau_now, self._history_traces)
                self._cached = (key, Generator(self.world, schedule, traffic), schedule)
            _, generator, schedule = self._cached
        return Moment(generator, origin + tau_now, schedule.at(tau_now))
