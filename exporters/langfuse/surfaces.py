"""Langfuse's three read surfaces and the order in which the exporter tries them.

- v4: ``/v2/observations`` (cursor, 1000 a page), ``/v3/scores`` (cursor, 100), ``/v2/metrics``;
- v3: legacy ``/observations`` (page-based, 100 a page), ``/v2/scores``, the v1 ``/metrics`` query API;
- v2: legacy ``/observations`` and ``/scores`` (a 3.x before ``/v2/scores`` reads like this); no
  metrics query API.

The version from ``/api/public/health`` picks the first candidate (2.x goes straight to v2, anything
else starts at v4, because a 3.x with the v4 preview opt-in serves the v4 routes); a 404 on a surface's
paths moves to the next one. Events have the same ids and times on every surface, so falling back keeps
the watermarks and nothing is counted twice.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from exporters.base import CollectError


@dataclass(frozen=True)
class Endpoint:
    """One list endpoint: its path, pagination style, page size and time-filter parameter names."""

    path: str
    cursor: bool
    limit: int
    time_from: str
    time_to: str
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Surface:
    name: str
    observations: Endpoint
    scores: tuple[Endpoint, ...]  # tried in order on 404
    metrics: str | None


_LEGACY_OBSERVATIONS = Endpoint("/api/public/observations", False, 100, "fromStartTime", "toStartTime")


def _page_scores(path: str) -> Endpoint:
    return Endpoint(path, False, 100, "fromTimestamp", "toTimestamp")


SURFACES = {
    "v4": Surface(
        "v4",
        Endpoint(
            "/api/public/v2/observations",
            True,
            1000,
            "fromStartTime",
            "toStartTime",
            (("fields", "core,basic,time,model,usage,metrics"),),
        ),
        (Endpoint("/api/public/v3/scores", True, 100, "fromTimestamp", "toTimestamp"),),
        "/api/public/v2/metrics",
    ),
    "v3": Surface(
        "v3", _LEGACY_OBSERVATIONS, (_page_scores("/api/public/v2/scores"),), "/api/public/metrics"
    ),
    "v2": Surface(
        "v2",
        _LEGACY_OBSERVATIONS,
        (_page_scores("/api/public/scores"),),
        None,
    ),
}
ORDER = ("v4", "v3", "v2")


def major(version: str | None) -> int | None:
    """The major number of a Langfuse version ("3.112.0", "v4.16.0"), None when unreadable."""
    head = (version or "").strip().lstrip("vV").split(".", 1)[0]
    return int(head) if head.isdecimal() else None


class SurfaceChooser:
    """The surface in use: forced by --langfuse.api, or detected from the version and 404s."""

    def __init__(self, forced: str = "auto") -> None:
        self._forced = None if forced == "auto" else forced
        self._lock = threading.Lock()
        self._version: str | None = None
        self._current: str | None = self._forced
        self._failed: set[str] = set()
        self._working: str | None = None

    @property
    def version(self) -> str | None:
        with self._lock:
            return self._version

    def set_version(self, version: str | None) -> None:
        """A changed version (upgrade, downgrade) starts detection over; the first one known does not."""
        with self._lock:
            previous, self._version = self._version, version
            if previous is not None and previous != version and self._forced is None:
                self._current, self._failed, self._working = None, set(), None

    def candidates(self) -> list[str]:
        if self._forced:
            return [self._forced]
        start = "v2" if major(self._version) == 2 else "v4"
        return list(ORDER[ORDER.index(start) :])

    def current(self) -> Surface:
        """The surface to use now; raises 'unsupported' once every candidate answered 404."""
        with self._lock:
            if self._current is None:
                left = [name for name in self.candidates() if name not in self._failed]
                if not left:
                    self._failed = set()  # try again from the top next cycle
                    raise CollectError(
                        "unsupported", "no Langfuse read surface answered (v4, v3, v2 all 404)"
                    )
                self._current = left[0]
            return SURFACES[self._current]

    def in_use(self) -> str | None:
        """The surface that last worked (for llmon_langfuse_info's api label), None before one did."""
        with self._lock:
            return self._working

    def worked(self, surface: Surface) -> None:
        with self._lock:
            self._working = surface.name

    def not_found(self, surface: Surface) -> None:
        """The surface's paths answered 404: move on to the next candidate (unless forced)."""
        with self._lock:
            if self._forced is None and self._current == surface.name:
                self._failed.add(surface.name)
                self._current = None
                if self._working == surface.name:
                    self._working = None
