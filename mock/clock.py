"""The scenario clock: which scenario is active and how far into it we are.

Scenario time is ``t = (now - started_at) * speed + offset`` while running and ``t = offset`` while
paused. Every transition below is a pure function of the old state and the wall-clock time ``now``; the
state itself lives in the mock database (table mock_state, see mock/db.py) so that every twin process
reads the same clock.

``started_at`` is None in a freshly seeded database (a seed must not contain the wall clock): the clock
then starts the first time a twin, the control server or the CLI looks at it (``started``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from mock.errors import ClockError


@dataclass(frozen=True)
class ClockState:
    scenario: str
    generation: int  # bumped on every scenario switch, so re-selecting the same scenario is visible
    paused: bool
    speed: float
    started_at: float | None  # wall clock (unix seconds) at which t == offset_s; None while paused
    offset_s: float
    origin_wall: float | None  # wall clock when the clock first started: anchors the host's boot time

    def t(self, now: float) -> float:
        """Seconds of scenario time at wall-clock time ``now``."""
        if self.paused or self.started_at is None:
            return self.offset_s
        return self.offset_s + max(0.0, now - self.started_at) * self.speed

    def started(self, now: float) -> ClockState:
        """Start a never-started clock at ``now``; anything else is returned unchanged."""
        if self.origin_wall is not None and (self.paused or self.started_at is not None):
            return self
        return replace(
            self,
            started_at=self.started_at if self.paused or self.started_at is not None else now,
            origin_wall=self.origin_wall if self.origin_wall is not None else now,
        )

    def paused_at(self, now: float) -> ClockState:
        return replace(self.started(now), paused=True, started_at=None, offset_s=self.t(now))

    def resumed_at(self, now: float) -> ClockState:
        if not self.paused:
            return self.started(now)
        return replace(self.started(now), paused=False, started_at=now)

    def jumped(self, seconds: float, now: float) -> ClockState:
        """Move scenario time forward; counters advance as if that time had passed."""
        if not math.isfinite(seconds) or seconds <= 0:
            raise ClockError(f"jump needs a positive number of seconds, got {seconds!r}")
        state = self.started(now)
        return replace(state, offset_s=state.offset_s + seconds)

    def with_speed(self, speed: float, now: float) -> ClockState:
        """Change how many scenario seconds pass per wall second, keeping t continuous."""
        if not math.isfinite(speed) or speed <= 0:
            raise ClockError(f"speed must be a positive number, got {speed!r}")
        state = self.started(now)
        rebased = state.t(now)
        return replace(state, speed=speed, offset_s=rebased, started_at=None if state.paused else now)

    def switched_to(self, scenario: str, now: float) -> ClockState:
        """Start ``scenario`` from t=0 (still paused if the clock was paused)."""
        state = self.started(now)
        return replace(
            state,
            scenario=scenario,
            generation=state.generation + 1,
            offset_s=0.0,
            started_at=None if state.paused else now,
        )
