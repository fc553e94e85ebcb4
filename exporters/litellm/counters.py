"""Daily cumulative figures turned into Prometheus counters that never count anything twice.

LiteLLM's daily-activity endpoints answer, per (series, date), the cumulative figure of that date so
far. The exporter polls a fixed window of dates (yesterday and today, in the proxy's clock) and adds
to each series' counter the growth of each (series, date) figure since the previous poll:

- the first poll after the exporter starts is the baseline: the figures it sees count as 0, so a
  restart never re-adds history (Prometheus sees a counter reset and counts only what follows);
- a (series, date) first seen after the baseline counts from 0 (a new day, a new key);
- a figure that shrinks (the proxy corrected a row) is re-baselined, never subtracted;
- dates that leave the window are forgotten: anything LiteLLM adds to them after that is not counted.
  With a two-day window that only matters for rows written more than a day late.

What an exporter restart loses is the growth between its last poll and its first poll after the
restart (the baseline absorbs it); nothing is ever counted twice. With ``--state.file`` the book is
saved after every poll and restored at start (state.py), so a restart loses nothing and the counters
carry on from their totals. Poll cost is the window's rows only, so it does not grow with the
history kept in the proxy's database.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Mapping

Series = Hashable


class DailyCounterBook:
    """Counter totals fed with (series, date) -> cumulative figure observations, one poll at a time."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Series, str], float] = {}
        self._totals: dict[Series, float] = {}
        self._baselined = False
        self._lock = threading.Lock()
        self.corrections = 0

    def observe(self, figures: Mapping[tuple[Series, str], float], window: Iterable[str]) -> None:
        """Apply one complete poll of every (series, date) figure for the dates in ``window``."""
        window = set(window)
        with self._lock:
            for (series, date), value in figures.items():
                previous = self._seen.get((series, date))
                if previous is None:
                    previous = value if not self._baselined else 0.0
                growth = value - previous
                if growth > 0:
                    self._totals[series] = self._totals.get(series, 0.0) + growth
                elif growth < 0:
                    self.corrections += 1
                self._totals.setdefault(series, 0.0)
                self._seen[(series, date)] = value
            self._seen = {k: v for k, v in self._seen.items() if k[1] in window}
            self._baselined = True

    def totals(self) -> dict[Series, float]:
        with self._lock:
            return dict(self._totals)

    def export(self) -> tuple[dict[tuple[Series, str], float], dict[Series, float]]:
        """(last figure per (series, date) of the window, totals): everything a restart needs."""
        with self._lock:
            return dict(self._seen), dict(self._totals)

    def restore(self, seen: Mapping[tuple[Series, str], float], totals: Mapping[Series, float]) -> None:
        """Carry on from an exported book: the next poll counts the growth since its last poll."""
        with self._lock:
            self._seen, self._totals, self._baselined = dict(seen), dict(totals), True
