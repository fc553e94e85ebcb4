"""Reading observations or scores by time window: watermark, overlap, dedupe, and a baseline.

Each poll reads the window ``[watermark - overlap, min(now, watermark + max_window))`` in Langfuse's
clock, every page, and then moves the watermark to the window's end. An event is counted the first
time it is seen; its id is remembered while its time is inside the overlap, so re-reading the overlap
never counts it again. Events ingested up to ``overlap`` after their own time are still counted; later
ones are left to reconciliation (reconcile.py) or missed. The cost of a poll is the events of the
window, never the history behind it.

An observation without an end time (still running, or its update not ingested yet) is not counted
until it has one, unless it is about to leave the overlap, so its cost and latency are not lost.

The first poll with no saved state is a baseline (unless ``--poll.initial-lookback`` asks to count some
history, which needs a state file so that it happens once): it only remembers the ids of the overlap window.
So a restart never counts anything twice; what it loses without ``--state.file`` is what became
visible while the exporter was down. With a state file the watermark and the ids survive, and the
first polls catch up ``max_window`` at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from exporters.base import CollectError
from exporters.base.jsonfields import expect
from exporters.langfuse.client import LangfuseClient
from exporters.langfuse.surfaces import Endpoint

MAX_PAGES = 500


def iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_window(client: LangfuseClient, endpoint: Endpoint, start: float, end: float) -> list[Any]:
    """Every row of the window, all pages; raises if a cursor repeats or the pages never end."""
    params: dict[str, Any] = {
        endpoint.time_from: iso(start),
        endpoint.time_to: iso(end),
        "limit": endpoint.limit,
        **dict(endpoint.extra),
    }
    rows: list[Any] = []
    cursors: set[str] = set()
    for page in range(1, MAX_PAGES + 1):
        if not endpoint.cursor:
            params["page"] = page
        body = expect(client.get_json(endpoint.path, params), dict, f"GET {endpoint.path}")
        data = expect(body.get("data"), list, f"GET {endpoint.path} data")
        rows.extend(data)
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        if endpoint.cursor:
            cursor = meta.get("cursor")
            if not isinstance(cursor, str) or not cursor or not data:
                return rows
            if cursor in cursors:
                raise CollectError("malformed", f"GET {endpoint.path}: the cursor did not advance")
            cursors.add(cursor)
            params["cursor"] = cursor
        else:
            pages = meta.get("totalPages")
            if not data or not isinstance(pages, int) or page >= pages:
                return rows
    raise CollectError("malformed", f"GET {endpoint.path}: over {MAX_PAGES} pages; lower --poll.max-window")


@dataclass
class Parsed:
    """What a stream needs of a record: its id, its time, and whether it is final."""

    id: str
    time: float
    complete: bool
    record: Any


class WindowStream:
    """One kind of event (observations or scores) read window by window."""

    def __init__(
        self,
        kind: str,
        parse: Callable[[Any], Parsed | str],
        count: Callable[[Any], None],
        bad: Callable[[str, str], None],
        *,
        overlap: float,
        max_window: float,
        lookback: float = 0.0,
        state: Mapping[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self._parse = parse
        self._count = count
        self._bad = bad
        self._overlap = overlap
        self._max_window = max_window
        self._lookback = lookback
        state = state or {}
        self.watermark: float | None = state.get("watermark")
        self._seen: dict[str, float] = dict(state.get("seen", {}))
        self.newest: float | None = None

    def window(self, now: float) -> tuple[float, float]:
        if self.watermark is not None and now < self.watermark - self._overlap:
            self.watermark = None  # Langfuse's clock went back (restored server, reset clock): baseline again
        if self.watermark is None and self._lookback > 0:
            self.watermark = now - self._lookback  # a first start told to count some history
        if self.watermark is None:
            return now - self._overlap, now
        return self.watermark - self._overlap, min(now, self.watermark + self._max_window)

    def apply(self, rows: list[Any], end: float) -> int:
        """Count the unseen, final records of a completely read window; returns how many were counted."""
        baseline = self.watermark is None
        keep_from = end - self._overlap
        counted = 0
        for row in rows:
            parsed = self._parse(row)
            if isinstance(parsed, str):
                self._bad(self.kind, parsed)
                continue
            if parsed.id in self._seen:
                continue
            if not (parsed.complete or parsed.time < keep_from or baseline):
                continue  # read again next poll, when it may have its end time
            self._seen[parsed.id] = parsed.time
            self.newest = parsed.time if self.newest is None else max(self.newest, parsed.time)
            if not baseline:
                self._count(parsed.record)
                counted += 1
        self.watermark = max(end, self.watermark or end)
        self._seen = {key: when for key, when in self._seen.items() if when >= keep_from}
        return counted

    def state(self) -> dict[str, Any]:
        return {"watermark": self.watermark, "seen": dict(self._seen)}
