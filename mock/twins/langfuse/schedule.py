"""The ``langfuse:`` targets over scenario-history time (tau), as a step function evaluated in bulk.

Scenarios played before the current one are closed intervals of tau; the current one runs open-ended.
Distinct target blocks get small integer ids, so per-minute buckets and generated events carry an id
instead of a model object (numpy arrays of ids, one lookup table).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mock.scenario import Scenario
from mock.twins.langfuse.targets import CALM_APPLICATION, LangfuseTargets


def resolved_langfuse(scenario: Scenario) -> list[tuple[float, LangfuseTargets]]:
    """(phase start, targets) with phases that set nothing inheriting the previous block."""
    current = CALM_APPLICATION
    out = []
    for phase in scenario.phases:
        current = phase.langfuse or current
        out.append((phase.start, current))
    return out


class Schedule:
    """Which targets block holds at each tau. Id 0 is always the calm application (the history)."""

    def __init__(self, played: Sequence[tuple[Scenario, float]], current: Scenario) -> None:
        self.targets: list[LangfuseTargets] = [CALM_APPLICATION]
        ids: dict[str, int] = {CALM_APPLICATION.model_dump_json(): 0}
        self._parts: list[tuple[float, float, float | None, np.ndarray, np.ndarray]] = []
        start = 0.0
        for scenario, duration in [*played, (current, math.inf)]:
            steps = resolved_langfuse(scenario)
            step_ids = []
            for _, targets in steps:
                key = targets.model_dump_json()
                if key not in ids:
                    ids[key] = len(self.targets)
                    self.targets.append(targets)
                step_ids.append(ids[key])
            period = scenario.duration if scenario.loop else None
            starts = np.array([s for s, _ in steps], dtype=float)
            self._parts.append((start, start + duration, period, starts, np.array(step_ids, dtype=np.int64)))
            start += duration

    def ids_at(self, taus: np.ndarray) -> np.ndarray:
        """Targets id at each tau (tau < 0, the history, is calm)."""
        out = np.zeros(len(taus), dtype=np.int64)
        for start, end, period, starts, step_ids in self._parts:
            mask = (taus >= start) & (taus < end)
            if not mask.any():
                continue
            local = taus[mask] - start
            if period:
                local = np.mod(local, period)
            out[mask] = step_ids[np.searchsorted(starts, local, side="right") - 1]
        return out

    def at(self, tau: float) -> LangfuseTargets:
        return self.targets[int(self.ids_at(np.array([tau]))[0])]
