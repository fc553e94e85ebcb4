"""The Docker event watcher: restarts, deaths, OOM kills and health changes as they happen.

A thread follows ``/events`` (containers only), counts each event per container name in
``llmon_container_events_total{name,event}`` and tells the docker Source to inspect that container
again. A stream that breaks, or stays silent for ``--events.idle-timeout`` (a dead TCP connection
looks exactly like a quiet daemon), is closed and reopened from the last event's time with
exponential back-off; events seen twice across a reconnect are counted once. The counters are served
at scrape time, so a scrape shows an OOM kill within one scrape, not one collection interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily

from exporters.base import CollectError, Source
from exporters.container.api import DockerApi
from exporters.container.selection import ContainerFilter

log = logging.getLogger(__name__)

# Docker actions counted, and the `event` label value of each; health_status carries its result.
COUNTED_ACTIONS = {
    "create": "create", "start": "start", "restart": "restart", "die": "die", "oom": "oom", "kill": "kill",
    "stop": "stop", "destroy": "destroy", "pause": "pause", "unpause": "unpause",
    "health_status: healthy": "health_healthy", "health_status: unhealthy": "health_unhealthy",
    "health_status: starting": "health_starting",
}  # fmt: skip
REINSPECT = {"create", "start", "restart", "die", "oom", "kill", "stop", "destroy", "health_healthy",
             "health_unhealthy", "health_starting"}  # fmt: skip
# Events exported at 0 for every exported container, so increase() sees the first one happen.
ZERO_INITIALISED = ("die", "oom", "start")
BACKOFF_START_S, BACKOFF_MAX_S = 0.5, 30.0
RECENT_EVENTS = 1024  # ids of recent events kept to drop duplicates replayed after a reconnect


class EventWatcher:
    """Follows the event stream in a daemon thread between ``start()`` and ``close()``."""

    def __init__(
        self,
        api: DockerApi,
        container_filter: ContainerFilter,
        max_names: int,
        idle_timeout: float,
        on_change: Callable[[str], None],
    ) -> None:
        self._api = api
        self._filter = container_filter
        self._max_names = max_names
        self._idle_timeout = idle_timeout
        self._on_change = on_change
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.counts: dict[tuple[str, str], int] = {}
        self.reconnects = 0
        self.connected = False
        self.last_error: CollectError | None = None
        self._since: float | None = None
        self._recent: OrderedDict[tuple[int, str, str], None] = OrderedDict()
        self._last_activity = time.monotonic()

    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="docker-events", daemon=True)
                self._thread.start()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(5.0)

    def track(self, names: Iterable[str]) -> None:
        """Containers the docker Source exports: their main events are shown from 0 before any happens."""
        with self._lock:
            for name in names:
                for kind in ZERO_INITIALISED:
                    self.counts.setdefault((name, kind), 0)

    def snapshot(self) -> tuple[dict[tuple[str, str], int], int, CollectError | None]:
        """Event counts, reconnections so far, and the current failure (None while healthy)."""
        with self._lock:
            return dict(self.counts), self.reconnects, self.last_error

    # --- the thread ------------------------------------------------------------------------------------

    def _run(self) -> None:
        backoff = BACKOFF_START_S
        first = True
        while not self._stop.is_set():
            if not first:
                with self._lock:
                    self.reconnects += 1
            first = False
            try:
                received = self._follow()
            except CollectError as exc:
                self._failed(exc)
                received = False
            except Exception as exc:  # a broken chunk, a reset connection: reconnect
                self._failed(CollectError("unreachable", f"events: stream broke ({type(exc).__name__})"))
                received = False
            backoff = BACKOFF_START_S if received else min(backoff * 2, BACKOFF_MAX_S)
            if self._stop.wait(backoff):
                return

    def _failed(self, error: CollectError) -> None:
        with self._lock:
            changed = self.last_error is None or self.last_error.message != error.message
            self.connected, self.last_error = False, error
        if changed:
            log.warning(
                "docker event stream down; reconnecting", extra={"reason": error.reason, "err": error.message}
            )

    def _follow(self) -> bool:
        """Read one connection until it ends, stalls or we stop; True if any event arrived.

        Closing a quiet stream after the idle timeout is routine, not a failure: it returns normally
        and the caller reconnects at once. A stream the daemon ends or breaks raises.
        """
        # Replay from a second before the last event: the daemon's `since` has one-second precision.
        since = None if self._since is None else self._since - 1.0
        stream, close = self._api.events(since)
        with self._lock:
            recovered = self.last_error is not None
            self.connected, self.last_error = True, None
        if recovered:
            log.info("docker event stream reconnected")
        self._last_activity = time.monotonic()
        idle = threading.Event()
        watchdog = threading.Thread(
            target=self._watch, args=(close, idle), name="docker-events-watchdog", daemon=True
        )
        watchdog.start()
        received = False
        try:
            for event in stream:
                self._last_activity = time.monotonic()
                if isinstance(event, dict):
                    received = True
                    self._handle(event)
                if self._stop.is_set():
                    break
        except Exception:
            if not idle.is_set():
                raise
        finally:
            close()
            with self._lock:
                self.connected = False
        if not (self._stop.is_set() or idle.is_set()):
            raise CollectError("unreachable", "events: the stream ended")
        return received or idle.is_set()

    def _watch(self, close: Callable[[], None], idle: threading.Event) -> None:
        """Close the stream after idle_timeout without data (setting ``idle``), or at stop."""
        while True:
            remaining = self._idle_timeout - (time.monotonic() - self._last_activity)
            if self._stop.wait(max(0.05, min(remaining, 1.0))):
                break
            with self._lock:
                if not self.connected:
                    return
            if time.monotonic() - self._last_activity >= self._idle_timeout:
                idle.set()
                break
        close()

    def _handle(self, event: dict[str, Any]) -> None:
        actor = event.get("Actor") if isinstance(event.get("Actor"), dict) else {}
        attributes = actor.get("Attributes") if isinstance(actor.get("Attributes"), dict) else {}
        container_id, action = str(actor.get("ID", "")), str(event.get("Action", ""))
        nano = event.get("timeNano")
        if isinstance(nano, int):
            key = (nano, container_id, action)
            if key in self._recent:
                return
            self._recent[key] = None
            if len(self._recent) > RECENT_EVENTS:
                self._recent.popitem(last=False)
            self._since = nano / 1e9
        kind = COUNTED_ACTIONS.get(action)
        name = str(attributes.get("name", ""))
        labels = {str(k): str(v) for k, v in attributes.items()}
        if kind is None or not name or not self._filter.keeps(name, labels):
            return
        with self._lock:
            known = {n for n, _ in self.counts}
            if name in known or len(known) < self._max_names:
                self.counts[(name, kind)] = self.counts.get((name, kind), 0) + 1
        if kind in REINSPECT and container_id:
            self._on_change(container_id)


class EventsSource(Source):
    """Serves the watcher's counters at scrape time; down (up 0) while the stream is failing.

    A routine reconnect (after the idle timeout) is not a failure: only a connection that could not be
    made, or a stream that broke, makes the source down until the next connection succeeds.
    """

    name = "events"

    def __init__(self, watcher: EventWatcher) -> None:
        self.watcher = watcher

    def close(self) -> None:
        self.watcher.close()

    def describe(self) -> Iterable[Metric]:
        return _families()

    def collect(self) -> Iterable[Metric]:
        self.watcher.start()
        counts, reconnects, error = self.watcher.snapshot()
        events, reconnect_total = _families()
        for (name, kind), count in sorted(counts.items()):
            events.add_metric([name, kind], float(count))
        reconnect_total.add_metric([], float(reconnects))
        if error is not None:
            raise error
        return [events, reconnect_total]


def _families() -> tuple[CounterMetricFamily, CounterMetricFamily]:
    return (
        CounterMetricFamily(
            "llmon_container_events", "Docker container events seen, by container name and event.",
            labels=["name", "event"],
        ),
        CounterMetricFamily("llmon_container_events_reconnects", "Times the event stream was reopened."),
    )  # fmt: skip
