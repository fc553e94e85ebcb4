"""Finding traces, observations and scores by time without generating the whole history.

Traces are ordered by index, so a time window is an index range (traffic.py) and a page of traces is
a slice of it. Observations and scores start up to MAX_EVENT_OFFSET_S after their trace, so a window
on their own time reads the traces of a slightly wider window. Page-based listings must count every
match (``totalItems``), so they scan their window and refuse one wider than SCAN_LIMIT traces the way
ClickHouse refuses an unbounded query; cursor listings walk back from the newest trace in chunks and
stop as soon as the page is certain, so their cost follows the page size, not the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mock.twins.langfuse.events import MAX_EVENT_OFFSET_S, Batch, Generator

SCAN_LIMIT = 250_000  # traces one page-based request may read
CHUNK = 2_000

RowFilter = Callable[[Batch], np.ndarray]  # (n,) or (n, 3) bool mask


class QueryTooLarge(Exception):  # noqa: N818 - mirrors Langfuse's resource-limit error
    """The request would read more than SCAN_LIMIT traces."""


@dataclass(frozen=True)
class Hit:
    """One item found: a (trace row, slot) of a batch."""

    batch: Batch
    row: int
    slot: int
    time: float = 0.0


def check_scan(lo: int, hi: int) -> None:
    if hi - lo > SCAN_LIMIT:
        raise QueryTooLarge(f"{hi - lo} traces")


def _scan(generator: Generator, lo: int, hi: int) -> Batch:
    check_scan(lo, hi)
    return generator.batch(lo, hi)


def traces_page(
    generator: Generator,
    *,
    a: float,
    b: float,
    visible_until: float,
    keep: RowFilter | None,
    page: int,
    limit: int,
) -> tuple[list[Hit], int]:
    """Newest-first page of traces with timestamp in [a, b); (hits, total)."""
    lo, hi = generator.traffic.index_range(a, min(b, visible_until))
    offset = (page - 1) * limit
    if keep is None:  # the fast path: a slice of the index range
        top = hi - offset
        batch = generator.batch(max(lo, top - limit), max(lo, top))
        return [Hit(batch, row, 0) for row in range(len(batch) - 1, -1, -1)], hi - lo
    batch = _scan(generator, lo, hi)
    rows = np.flatnonzero(keep(batch))[::-1]
    return [Hit(batch, int(row), 0) for row in rows[offset : offset + limit]], len(rows)


def _event_mask(
    batch: Batch, *, times: np.ndarray, visible: np.ndarray, a: float, b: float, keep: RowFilter | None
) -> np.ndarray:
    mask = visible & (times >= a) & (times < b)
    if keep is not None:
        mask &= keep(batch)
    return mask


def _sorted_hits(batch: Batch, times: np.ndarray, mask: np.ndarray) -> list[Hit]:
    rows, slots = np.nonzero(mask)
    order = np.lexsort((-slots, -times[rows, slots]))  # newest first; within a trace, the later slot first
    return [Hit(batch, int(rows[i]), int(slots[i]), float(times[rows[i], slots[i]])) for i in order]


def events_page(
    generator: Generator,
    event: Callable[[Batch, float], tuple[np.ndarray, np.ndarray]],
    *,
    a: float,
    b: float,
    visible_until: float,
    keep: RowFilter | None,
    page: int,
    limit: int,
) -> tuple[list[Hit], int]:
    """Newest-first page of observations or scores (``event`` gives their times and visibility)."""
    lo, hi = generator.traffic.index_range(a - MAX_EVENT_OFFSET_S, min(b, visible_until))
    batch = _scan(generator, lo, hi)
    times, visible = event(batch, visible_until)
    hits = _sorted_hits(batch, times, _event_mask(batch, times=times, visible=visible, a=a, b=b, keep=keep))
    offset = (page - 1) * limit
    return hits[offset : offset + limit], len(hits)


def events_after_cursor(
    generator: Generator,
    event: Callable[[Batch, float], tuple[np.ndarray, np.ndarray]],
    *,
    a: float,
    b: float,
    visible_until: float,
    keep: RowFilter | None,
    before: tuple[float, int, int] | None,
    limit: int,
) -> tuple[list[Hit], bool]:
    """Up to ``limit`` events in [a, b) that come after ``before`` (the last event served: time, trace
    index, slot) in newest-first order (time, then trace index, then slot, all descending); (hits, more)."""
    traffic = generator.traffic
    upper = min(b, visible_until)
    if before is not None:  # the cursor's trace and every older one may still hold unserved events
        upper = min(upper, float(np.nextafter(before[0], np.inf)))
    floor_k = traffic.first_at_or_after(a - MAX_EVENT_OFFSET_S)
    top = traffic.first_at_or_after(upper)
    found: list[Hit] = []
    while top > floor_k:
        bottom = max(floor_k, top - max(CHUNK, 2 * limit))
        batch = generator.batch(bottom, top)
        times, visible = event(batch, visible_until)
        mask = _event_mask(batch, times=times, visible=visible, a=a, b=b, keep=keep)
        if before is not None:
            last_time, last_k, last_slot = before
            ks, slots = batch.k[:, None], np.arange(3)[None, :]
            after_in_order = (ks < last_k) | ((ks == last_k) & (slots < last_slot))
            mask &= (times < last_time) | ((times == last_time) & after_in_order)
        found.extend(_sorted_hits(batch, times, mask))
        found.sort(key=lambda h: (-h.time, -int(h.batch.k[h.row]), -h.slot))
        certain = float(batch.time[0]) + MAX_EVENT_OFFSET_S
        top = bottom
        if len(found) > limit and found[limit].time >= certain:
            break
    return found[:limit], len(found) > limit


def observation_times(batch: Batch, now: float) -> tuple[np.ndarray, np.ndarray]:
    """Observations are listed by start time and readable once they ended (the SDK flushed them)."""
    return batch.start, batch.end <= now


def score_times(batch: Batch, now: float) -> tuple[np.ndarray, np.ndarray]:
    return batch.score_time, batch.score_present & (batch.score_time <= now)
