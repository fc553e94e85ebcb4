"""Spending the metrics-API budget on what the windows miss: observations ingested after the overlap.

Time is cut into slices of ``--metrics.interval`` (aligned to the epoch). While the observation stream
counts, it tallies each slice (by start time) per (environment, type, level, model). Once a slice is
closed for the stream (its end is older than the watermark minus the overlap, so the stream never
reads it again) and has settled for one more interval, one metrics-API query asks Langfuse for the
same figures of that slice; what Langfuse has beyond the tally (count, input and output tokens, cost)
was ingested late and is added to the counters, once. Only slices the stream saw whole are compared,
and each slice is compared once, so nothing is counted twice.

At most one call per interval, and the first only one interval after start (restarts included), so
the default 1800 s makes at most 48 calls a day: within the 100 a day of Langfuse Cloud's Hobby plan
on either metrics resource. v2 servers have no metrics API; a v4-mode gate's 404 stops reconciling
until the server's version changes.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from exporters.base import CollectError
from exporters.base.jsonfields import expect, number
from exporters.langfuse.client import LangfuseClient, NotServedError
from exporters.langfuse.records import DEFAULT_ENVIRONMENT, LEVELS, OTHER, TYPES, UNKNOWN_MODEL, Observation
from exporters.langfuse.stream import iso
from exporters.langfuse.surfaces import SurfaceChooser
from exporters.langfuse.totals import Totals

KEEP_SLICES_S = 2 * 86400.0
FIGURES = ("count_count", "sum_inputTokens", "sum_outputTokens", "sum_totalCost")
Series = tuple[str, str, str, str]  # environment, type, level, model (capped)


def query(start: float, end: float) -> str:
    """The observations-view query (same JSON for /metrics v1 and /v2/metrics)."""
    return json.dumps(
        {
            "view": "observations",
            "dimensions": [{"field": f} for f in ("environment", "type", "level", "providedModelName")],
            "metrics": [
                {"measure": "count", "aggregation": "count"},
                {"measure": "inputTokens", "aggregation": "sum"},
                {"measure": "outputTokens", "aggregation": "sum"},
                {"measure": "totalCost", "aggregation": "sum"},
            ],
            "filters": [],
            "timeDimension": None,
            "fromTimestamp": iso(start),
            "toTimestamp": iso(end),
            "orderBy": None,
            "config": {"row_limit": 1000},
        },
        separators=(",", ":"),
    )


class Reconciler:
    """Slice tallies from the stream, and the budgeted metrics-API comparison of closed slices."""

    def __init__(
        self,
        client: LangfuseClient,
        chooser: SurfaceChooser,
        totals: Totals,
        interval: float,
        *,
        overlap: float,
        clock: Callable[[], float] = time.monotonic,
        state: Mapping[str, Any] | None = None,
    ) -> None:
        self._client, self._chooser, self._totals = client, chooser, totals
        self._interval, self._overlap, self._clock = interval, overlap, clock
        self._lock = threading.Lock()
        state = state or {}
        self.covered_from: float | None = state.get("covered_from")
        self._done: set[int] = set(state.get("done", []))
        self._tallies: dict[int, dict[Series, list[float]]] = {
            int(k): {tuple(s): list(v) for s, v in rows} for k, rows in state.get("tallies", {}).items()
        }
        self._next_call = clock() + interval
        self._unsupported_for: str | None = None
        self.calls = 0

    def start_covering(self, start: float) -> None:
        """The stream counts from ``start`` on: slices starting there or later are tallied whole."""
        with self._lock:
            if self.covered_from is None:
                self.covered_from = start

    def tally(self, record: Observation, model: str, environment: str) -> None:
        key = math.floor(record.time / self._interval)
        series = (environment, record.type, record.level, model)
        with self._lock:
            figures = self._tallies.setdefault(key, {}).setdefault(series, [0.0, 0.0, 0.0, 0.0])
            for index, value in enumerate((1.0, record.input_tokens, record.output_tokens, record.cost_usd)):
                figures[index] += value or 0.0

    def _due(self, watermark: float | None, now: float) -> int | None:
        if self.covered_from is None or watermark is None:
            return None
        first = math.ceil(self.covered_from / self._interval)
        closed = min(watermark - self._overlap, now - self._interval)
        last = math.floor(closed / self._interval) - 1  # the last slice that ends by `closed`
        oldest = max(first, math.floor((now - KEEP_SLICES_S) / self._interval))
        due = [k for k in range(oldest, last + 1) if k not in self._done]
        return due[0] if due else None

    def run(self, watermark: float | None) -> bool:
        """One comparison if the budget allows and a slice is due; True when a call was made."""
        surface = self._chooser.in_use()
        now = self._client.server_now()
        with self._lock:
            if self._clock() < self._next_call or surface is None or self._unsupported_for == surface:
                return False
            slice_key = self._due(watermark, now)
            path = self._chooser.current().metrics
            if slice_key is None or path is None:
                return False
            self._next_call = self._clock() + self._interval
            self.calls += 1
        start = slice_key * self._interval
        try:
            body = self._client.get_json(path, {"query": query(start, start + self._interval)})
        except NotServedError:
            with self._lock:
                self._unsupported_for = surface
            raise
        rows = expect(expect(body, dict, f"GET {path}").get("data"), list, f"GET {path} data")
        self._apply(slice_key, rows)
        return True

    def _series(self, row: dict[str, Any]) -> Series:
        kind = str(row.get("type") or "").upper()
        level = str(row.get("level") or "DEFAULT").upper()
        return (
            self._totals.capped("environment", str(row.get("environment") or DEFAULT_ENVIRONMENT)),
            kind if kind in TYPES else OTHER,
            level if level in LEVELS else "DEFAULT",
            self._totals.capped("model", str(row.get("providedModelName") or UNKNOWN_MODEL)),
        )

    def _apply(self, slice_key: int, rows: list[Any]) -> None:
        langfuse: dict[Series, list[float]] = {}
        for row in rows:
            if not isinstance(row, dict):
                raise CollectError("malformed", "metrics API row is not an object")
            figures = langfuse.setdefault(self._series(row), [0.0, 0.0, 0.0, 0.0])
            for index, name in enumerate(FIGURES):
                figures[index] += number(row.get(name)) or 0.0
        additions: dict[tuple[str, tuple[str, ...]], float] = {}
        with self._lock:
            tally = self._tallies.pop(slice_key, {})
            self._done.add(slice_key)
            self._done = {k for k in self._done if k >= slice_key - KEEP_SLICES_S / self._interval}
        for series, figures in langfuse.items():
            seen = tally.get(series, [0.0, 0.0, 0.0, 0.0])
            late = [max(0.0, got - had) for got, had in zip(figures, seen, strict=True)]
            environment, kind, level, model = series
            for name, labels, value in (
                ("observations", (environment, kind, level), late[0]),
                ("generations", (model, environment), late[0] if kind == "GENERATION" else 0.0),
                ("tokens", (model, environment, "input"), late[1]),
                ("tokens", (model, environment, "output"), late[2]),
                ("cost_usd", (model, environment), late[3]),
            ):
                if value > 1e-9:
                    additions[(name, labels)] = additions.get((name, labels), 0.0) + value
        self._totals.add_late(additions)

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "covered_from": self.covered_from,
                "done": sorted(self._done),
                "tallies": {
                    str(k): [[list(s), v] for s, v in rows.items()] for k, rows in self._tallies.items()
                },
            }
