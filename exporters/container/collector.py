"""The docker Source: one bounded collection cycle per interval, served as a snapshot.

A cycle lists containers once (no inspect per container per cycle), inspects only containers it has
not seen, whose listed state changed, or that the event watcher marked, then asks for stats of the
running ones on a bounded worker pool. Each call is bounded by ``--docker.timeout`` and the cycle by
``--stats.deadline``: stats that are late, fail, or belong to a container removed meanwhile are
counted in ``llmon_container_request_errors_total{operation,reason}`` (logged once per cause), and in
``llmon_exporter_collect_errors_total{source="docker",reason}`` through ``take_partial_errors``, and that
container is exported without resource metrics, so one slow or broken container never fails the
cycle. Only a failed list (daemon down, garbage) fails the Source, which sets ``up`` to 0.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

from prometheus_client import Metric

from exporters.base import CollectError, Source
from exporters.container.api import ContainerGoneError, DockerApi
from exporters.container.config import ContainerSettings
from exporters.container.events import EventsSource, EventWatcher
from exporters.container.metrics import ContainerRecord, build_families, describe_families
from exporters.container.parse import Details, Summary, parse_inspect, parse_stats, parse_summary
from exporters.container.selection import Cap, ContainerFilter

log = logging.getLogger(__name__)

OPERATIONS = ("inspect", "stats")
REQUEST_REASONS = ("timeout", "unreachable", "auth", "http_status", "malformed", "gone", "internal")
#: A request reason as a reason of llmon_exporter_collect_errors_total (exporters.base.REASONS): a
#: container removed after it was listed is the daemon answering 404; the others are base reasons.
_BASE_REASON = {"gone": "http_status"}
_T = TypeVar("_T")


@dataclass
class _Inspected:
    listed_state: str
    details: Details


class RequestErrors:
    """Per-container request failures by (operation, reason), each distinct cause logged once."""

    def __init__(self) -> None:
        self.counts = {(op, reason): 0 for op in OPERATIONS for reason in REQUEST_REASONS}
        self._logged: set[tuple[str, str, str]] = set()
        self._untaken: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, operation: str, reason: str, message: str) -> None:
        reason = reason if reason in REQUEST_REASONS else "internal"
        with self._lock:
            self.counts[(operation, reason)] += 1
            self._untaken[_BASE_REASON.get(reason, reason)] += 1
            first = (operation, reason, message) not in self._logged
            self._logged.add((operation, reason, message))
        if first:
            log.warning(
                "container request failed", extra={"operation": operation, "reason": reason, "err": message}
            )

    def take(self) -> Counter[str]:
        """Failures recorded since the previous take, by exporters.base reason."""
        with self._lock:
            taken, self._untaken = self._untaken, Counter()
        return taken


class DockerCollector(Source):
    """Lists, inspects (when needed) and samples containers; see the module docstring."""

    name = "docker"
    background = True

    def __init__(self, api: DockerApi, settings: ContainerSettings) -> None:
        self.api = api
        self.settings = settings
        # Told the exported names every cycle (the event watcher zero-initialises their counters).
        self.on_names: Callable[[list[str]], None] | None = None
        self.filter = ContainerFilter(
            settings.containers_include,
            settings.containers_exclude,
            settings.containers_label_include,
            settings.containers_label_exclude,
        )
        self.cap = Cap(settings.containers_max)
        self.errors = RequestErrors()
        self._inspected: dict[str, _Inspected] = {}
        self._dirty: set[str] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=settings.stats_workers, thread_name_prefix="docker-call")

    def invalidate(self, container_id: str) -> None:
        """Inspect this container again next cycle (an event says its state, health or restarts changed)."""
        with self._lock:
            self._dirty.add(container_id)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def take_partial_errors(self) -> Counter[str]:
        """Per-container request failures since the last take, by collect-errors reason."""
        return self.errors.take()

    def describe(self) -> Iterable[Metric]:
        return describe_families(self.settings.container_labels)

    def collect(self) -> Iterable[Metric]:
        deadline = time.monotonic() + self.settings.stats_deadline
        try:
            summaries = [parse_summary(doc) for doc in self.api.list_containers()]
        except ValueError as exc:
            raise CollectError("malformed", f"list containers: {exc}") from None
        selected = self.cap.apply([s for s in summaries if self.filter.keeps(s.name, s.labels)])
        if self.on_names is not None:
            self.on_names([s.name for s in selected])
        details = self._details(selected, deadline)
        one_shot = self.settings.stats_one_shot and self.api.supports_one_shot()
        running = [s for s in selected if s.state == "running"]
        samples = self._parallel(
            "stats", running, lambda s: parse_stats(self.api.stats(s.id, one_shot)), deadline
        )
        records = [ContainerRecord(s, details.get(s.id), samples.get(s.id)) for s in selected]
        return build_families(
            records, self.settings.container_labels, self.cap.dropped_total, self.errors.counts
        )

    def _details(self, selected: list[Summary], deadline: float) -> dict[str, Details]:
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            live = {s.id for s in selected}
            self._inspected = {k: v for k, v in self._inspected.items() if k in live}
            stale = [
                s
                for s in selected
                if s.id in dirty
                or s.id not in self._inspected
                or self._inspected[s.id].listed_state != s.state
            ]
        fresh = self._parallel("inspect", stale, lambda s: parse_inspect(self.api.inspect(s.id)), deadline)
        with self._lock:
            for summary in stale:
                if summary.id in fresh:
                    self._inspected[summary.id] = _Inspected(summary.state, fresh[summary.id])
                else:
                    self._dirty.add(summary.id)  # try again next cycle
            return {k: v.details for k, v in self._inspected.items()}

    def _parallel(
        self, operation: str, containers: list[Summary], call: Callable[[Summary], _T], deadline: float
    ) -> dict[str, _T]:
        """``call`` per container on the pool; what fails or misses the deadline is counted, not raised."""
        futures: dict[Future[_T], Summary] = {self._pool.submit(call, s): s for s in containers}
        done, late = wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        results: dict[str, _T] = {}
        for future in done:
            summary = futures[future]
            try:
                results[summary.id] = future.result()
            except ContainerGoneError:
                self.errors.record(operation, "gone", f"{operation}: container removed after it was listed")
            except CollectError as exc:
                self.errors.record(operation, exc.reason, exc.message)
            except ValueError as exc:
                self.errors.record(operation, "malformed", f"{operation}: {exc}")
            except Exception as exc:
                self.errors.record(operation, "internal", f"{operation}: {type(exc).__name__}")
        for future in late:
            future.cancel()
            self.errors.record(operation, "timeout", f"{operation}: no answer within the cycle deadline")
        return results


def build_sources(
    settings: ContainerSettings, make_api: Callable[[], DockerApi] | None = None
) -> list[Source]:
    """The docker Source and, unless --no-events, the events Source; no thread starts until collected.

    The event stream gets a client of its own: it holds one connection open for as long as it lasts.
    """

    def default_api() -> DockerApi:
        return DockerApi(settings.docker_host, settings.docker_timeout, pool_size=settings.stats_workers + 2)

    factory = make_api or default_api
    collector = DockerCollector(factory(), settings)
    if not settings.events:
        return [collector]
    watcher = EventWatcher(
        factory(),
        collector.filter,
        settings.containers_max,
        settings.events_idle_timeout,
        collector.invalidate,
    )
    collector.on_names = watcher.track
    return [collector, EventsSource(watcher)]
