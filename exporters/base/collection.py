"""Running the sources: scrape-time sources during each scrape, background ones on their own loop.

A background source is called in a worker thread every interval and given at most the timeout; the
scrape serves its last good snapshot, so a scrape never waits on a slow upstream. A failed call drops
the snapshot, unless the source lists the error's reason in ``keep_snapshot_on`` (see Source). Python
cannot kill a thread, so a call that overruns is abandoned and the source is not called again until
it returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence

from prometheus_client import Metric

from .errors import CollectError, ConfigError
from .selfmetrics import SourceHealth
from .source import Source

log = logging.getLogger(__name__)

#: Longest stop() waits for one loop thread; loops wake on stop at once, this only bounds a bug.
_JOIN_SECONDS = 2.0


def _collect_families(source: Source, health: SourceHealth) -> list[Metric]:
    """Run the whole collect() now, so a failure half-way surfaces here and not while serving; then
    count what the source survived (Source.take_partial_errors), whether or not collect() succeeded."""
    try:
        families = list(source.collect())
    finally:
        health.partially_failed(source.name, source.take_partial_errors())
    for family in families:
        if not isinstance(family, Metric):
            raise TypeError(f"collect() yielded a {type(family).__name__}, not a metric family")
    return families


def _cause(exc: Exception) -> tuple[str, str, Exception | None]:
    """(reason, message, exception to log with its stack): stacks only for what the Source did not expect."""
    if isinstance(exc, CollectError):
        return exc.reason, exc.message, None
    return "internal", f"{type(exc).__name__}: {exc}", exc


class _Call:
    """One background collect() in a daemon thread that notifies ``wake`` when it ends."""

    def __init__(self, source: Source, wake: threading.Condition, health: SourceHealth) -> None:
        self.source = source
        self._health = health
        self.started = time.monotonic()
        self.duration = 0.0
        self.done = False
        self.families: list[Metric] = []
        self.error: Exception | None = None
        self._wake = wake
        threading.Thread(target=self._run, name=f"collect-{source.name}", daemon=True).start()

    def _run(self) -> None:
        try:
            self.families = _collect_families(self.source, self._health)
        except Exception as exc:
            self.error = exc
        with self._wake:
            self.duration = time.monotonic() - self.started
            self.done = True
            self._wake.notify_all()


class Collection:
    """All sources of one exporter, their snapshots and their health."""

    def __init__(self, sources: Sequence[Source], interval: float, timeout: float) -> None:
        names = [source.name for source in sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigError(None, f"more than one source is named {', '.join(map(repr, duplicates))}")
        self.sources = list(sources)
        self.health = SourceHealth(names)
        self._interval = interval
        self._timeout = timeout
        self._scrape_time = [source for source in sources if not source.background]
        self._background = [source for source in sources if source.background]
        self._locks = {source.name: threading.Lock() for source in self._scrape_time}
        self._snapshots: dict[str, list[Metric]] = {}
        self._wake = threading.Condition()
        self._stopped = False
        self._loops: list[threading.Thread] = []

    def start(self) -> None:
        """Start one loop per background source, and a first collection of the scrape-time ones.

        The first scrape-time collection runs in the background too, so /readyz turns ready without
        waiting for Prometheus and a broken source is logged at startup rather than at the first scrape.
        """
        for source in self._background:
            loop = threading.Thread(
                target=self._loop, args=(source,), name=f"loop-{source.name}", daemon=True
            )
            loop.start()
            self._loops.append(loop)
        if self._scrape_time:
            threading.Thread(target=self._collect_scrape_time, name="first-collection", daemon=True).start()

    def stop(self) -> None:
        """Stop the loops, then close every source; calls still running are abandoned (their threads
        are daemons). A source that fails to close is logged and the others are still closed."""
        with self._wake:
            if self._stopped:
                return
            self._stopped = True
            self._wake.notify_all()
        for loop in self._loops:
            loop.join(_JOIN_SECONDS)
        for source in self.sources:
            try:
                source.close()
            except Exception as error:  # one source's cleanup must not stop the others'
                log.warning("closing source failed", extra={"source": source.name, "error": str(error)})

    def pending(self) -> list[str]:
        """Sources whose first collection attempt has not ended yet."""
        return [source.name for source in self.sources if not self.health.attempted(source.name)]

    def describe(self) -> Iterable[Metric]:
        yield from self.health.describe()
        for source in self.sources:
            yield from source.describe()

    def collect(self) -> list[Metric]:
        """Self-metrics, fresh scrape-time families, then the background snapshots of healthy sources."""
        fresh = self._collect_scrape_time()
        with self._wake:
            snapshots = [
                family for source in self._background for family in self._snapshots.get(source.name, [])
            ]
        return [*self.health.families(), *fresh, *snapshots]

    def _collect_scrape_time(self) -> list[Metric]:
        families: list[Metric] = []
        for source in self._scrape_time:
            with self._locks[source.name]:
                started = time.perf_counter()
                try:
                    collected = _collect_families(source, self.health)
                except Exception as exc:
                    self.health.failed(source.name, time.perf_counter() - started, *_cause(exc))
                    continue
                self.health.succeeded(source.name, time.perf_counter() - started)
            families.extend(collected)
        return families

    def _loop(self, source: Source) -> None:
        call: _Call | None = None
        while True:
            cycle_started = time.monotonic()
            call = self._collect_in_background(source, call)
            with self._wake:
                remaining = self._interval - (time.monotonic() - cycle_started)
                if self._wake.wait_for(lambda: self._stopped, timeout=max(0.0, remaining)):
                    return

    def _collect_in_background(self, source: Source, previous: _Call | None) -> _Call | None:
        """One cycle: start a call unless the previous one still hangs, and record how it ended."""
        timeout_message = f"collection did not finish within {self._timeout:g}s"
        if previous is not None and not previous.done:
            self.health.failed(source.name, time.monotonic() - previous.started, "timeout", timeout_message)
            return previous
        with self._wake:
            if self._stopped:
                return None
        call = _Call(source, self._wake, self.health)
        with self._wake:
            self._wake.wait_for(lambda: call.done or self._stopped, timeout=self._timeout)
            done, error = call.done, call.error
            if self._stopped and not done:
                return call
            if done and error is None:
                self._snapshots[source.name] = call.families
            elif not (isinstance(error, CollectError) and error.reason in source.keep_snapshot_on):
                self._snapshots.pop(source.name, None)
        if not done:
            self.health.failed(source.name, self._timeout, "timeout", timeout_message)
        elif error is not None:
            self.health.failed(source.name, call.duration, *_cause(error))
        else:
            self.health.succeeded(source.name, call.duration)
        return call
