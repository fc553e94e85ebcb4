"""Requests the twin really served (completions over HTTP), booked on top of the scenario's traffic.

vLLM records a request's latencies when it finishes; so does the book. The book belongs to one engine
life: when the engine restarts (a new ``started_tau``) it starts empty, as vLLM's counters do.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Sequence


class LiveBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._life: float | None = None
        self._counters: Counter[str] = Counter()
        self._observations: dict[str, list[float]] = {}
        self._http: Counter[tuple[str, str, bool]] = Counter()
        self.in_flight = 0

    def begin_life(self, started_tau: float) -> None:
        """Forget everything booked in an earlier life of the engine."""
        with self._lock:
            if self._life != started_tau:
                self._life = started_tau
                self._counters.clear()
                self._observations.clear()
                self._http.clear()

    def book(self, counters: dict[str, float], observations: dict[str, Sequence[float]]) -> None:
        with self._lock:
            self._counters.update(counters)
            for source, values in observations.items():
                bisect_list = self._observations.setdefault(source, [])
                for value in values:
                    bisect.insort(bisect_list, value)

    def book_http(self, method: str, handler: str, ok: bool) -> None:
        with self._lock:
            self._http[(method, handler, ok)] += 1

    def counter(self, name: str) -> float:
        with self._lock:
            return float(self._counters.get(name, 0.0))

    def http(self, method: str, handler: str) -> tuple[int, int]:
        with self._lock:
            return self._http[(method, handler, True)], self._http[(method, handler, False)]

    def histogram(self, source: str, bounds: Sequence[float]) -> tuple[list[int], int, float]:
        """Cumulative counts at each bound (the last one +Inf), count and sum of the booked values."""
        with self._lock:
            values = list(self._observations.get(source, ()))
        counts = [bisect.bisect_right(values, bound) for bound in bounds]
        return counts, len(values), sum(values)
