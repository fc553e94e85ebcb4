"""Langfuse Cloud's per-resource rate limits (web/src/features/public-api/server/RateLimitService.ts).

Self-hosted Langfuse has none; the twin applies them only with ``--cloud-plan``. Windows are fixed
(per minute, hour or day) and counted in the twin's virtual clock, so a clock jump opens a new window
just as waiting would.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

MINUTE, HOUR, DAY = 60, 3600, 86400
LEGACY, PUBLIC, METRICS, METRICS_V2, DAILY = (
    "public-api-legacy",
    "public-api",
    "public-api-metrics",
    "public-api-v2-metrics",
    "public-api-daily-metrics-legacy",
)
#: plan -> resource -> (points, window seconds)
PLANS: dict[str, dict[str, tuple[int, int]]] = {
    "hobby": {
        LEGACY: (15, MINUTE),
        PUBLIC: (30, MINUTE),
        METRICS: (100, DAY),
        METRICS_V2: (100, DAY),
        DAILY: (10, DAY),
    },
    "core": {
        LEGACY: (30, MINUTE),
        PUBLIC: (1000, MINUTE),
        METRICS: (2000, DAY),
        METRICS_V2: (100, HOUR),
        DAILY: (200, DAY),
    },
    "pro": {
        LEGACY: (100, MINUTE),
        PUBLIC: (1000, MINUTE),
        METRICS: (2000, DAY),
        METRICS_V2: (500, HOUR),
        DAILY: (200, DAY),
    },
}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # virtual unix time the window ends
    retry_after: int  # whole seconds until then


class RateLimiter:
    """Counts calls per resource in fixed windows of the virtual clock."""

    def __init__(self, plan: str) -> None:
        self.budgets = PLANS[plan]
        self._used: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def take(self, resource: str, now: float) -> Verdict:
        points, window = self.budgets[resource]
        index = math.floor(now / window)
        reset_at = (index + 1) * window
        with self._lock:
            used = self._used.get((resource, index), 0)
            allowed = used < points
            if allowed:
                used += 1
                self._used[(resource, index)] = used
        return Verdict(allowed, points, max(0, points - used), reset_at, max(1, math.ceil(reset_at - now)))
