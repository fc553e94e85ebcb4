"""The exporter's sources around one client, one surface chooser and one set of totals.

- ``health`` (background): ``/api/public/health`` -> healthy, version, info. Unreachable or unhealthy
  gives ``llmon_langfuse_healthy 0`` rather than an error, so "Langfuse down" is a value, not absence.
- ``events`` (background): one poll of the observation and score windows (stream.py); fails with the
  first error after trying both, so a rate-limited resource does not stop the other stream.
- ``reconcile`` (background): the budgeted metrics-API comparison (reconcile.py).
- ``totals`` (at scrape time, no upstream call): the counters and histograms, event age, API requests
  and rate-limit budgets. They stay exposed while Langfuse fails, so counters never vanish mid-outage.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporters.base import CollectError, Source
from exporters.langfuse import records
from exporters.langfuse.client import LangfuseClient, NotServedError
from exporters.langfuse.config import LangfuseSettings
from exporters.langfuse.reconcile import Reconciler
from exporters.langfuse.state import StateFile, fingerprint
from exporters.langfuse.stream import Parsed, WindowStream, read_window
from exporters.langfuse.surfaces import ORDER, Endpoint, Surface, SurfaceChooser
from exporters.langfuse.totals import PREFIX, Totals


class HealthSource(Source):
    name = "health"
    background = True

    def __init__(self, client: LangfuseClient, chooser: SurfaceChooser) -> None:
        self._client, self._chooser = client, chooser

    def collect(self) -> Iterator[Metric]:
        healthy = GaugeMetricFamily(
            f"{PREFIX}healthy", "1 when /api/public/health answers 200 with status OK."
        )
        try:
            status, body = self._client.health()
        except CollectError:
            status, body = 0, None
        body = body if isinstance(body, dict) else {}
        healthy.add_metric([], 1.0 if status == 200 and body.get("status") == "OK" else 0.0)
        yield healthy
        if isinstance(version := body.get("version"), str) and version:
            self._chooser.set_version(version[:32])
        info = GaugeMetricFamily(
            f"{PREFIX}info",
            "Langfuse's version and the read surface in use (v4, v3, v2), always 1.",
            labels=["version", "api"],
        )
        if self._chooser.version:
            info.add_metric([self._chooser.version, self._chooser.in_use() or "none"], 1.0)
        yield info


class EventsSource(Source):
    name = "events"
    background = True

    def __init__(
        self,
        client: LangfuseClient,
        chooser: SurfaceChooser,
        totals: Totals,
        reconciler: Reconciler,
        *,
        settings: LangfuseSettings,
        state_file: StateFile,
        saved: dict[str, Any],
    ) -> None:
        self._client, self._chooser, self._totals = client, chooser, totals
        self._reconciler, self._state_file = reconciler, state_file
        self._overlap = settings.overlap
        streams = saved.get("streams", {})
        self.observations = WindowStream(
            "observation",
            self._parse_observation,
            self._count_observation,
            totals.bad,
            overlap=settings.overlap,
            max_window=settings.max_window,
            lookback=settings.initial_lookback,
            state=streams.get("observation"),
        )
        self.scores = WindowStream(
            "score",
            self._parse_score,
            totals.count_score,
            totals.bad,
            overlap=settings.overlap,
            max_window=settings.max_window,
            lookback=settings.initial_lookback,
            state=streams.get("score"),
        )

    @staticmethod
    def _parse_observation(row: Any) -> Parsed | str:
        record = records.observation(row)
        return record if isinstance(record, str) else Parsed(record.id, record.time, record.complete, record)

    @staticmethod
    def _parse_score(row: Any) -> Parsed | str:
        record = records.score(row)
        return record if isinstance(record, str) else Parsed(record.id, record.time, True, record)

    def _count_observation(self, record: records.Observation) -> None:
        model, environment = self._totals.count_observation(record)
        self._reconciler.tally(record, model, environment)

    def collect(self) -> Iterator[Metric]:
        if not self._client.knows_server_clock():
            self._client.health()  # windows are cut in Langfuse's clock: learn it from a Date header first
        now = self._client.server_now()
        failures: list[CollectError] = []
        for stream, endpoints in (
            (self.observations, lambda s: (s.observations,)),
            (self.scores, lambda s: s.scores),
        ):
            try:
                self._poll(stream, endpoints, now)
            except CollectError as error:
                failures.append(error)
        self.save()
        if failures:
            raise failures[0]
        return iter(())

    def _poll(
        self, stream: WindowStream, endpoints: Callable[[Surface], tuple[Endpoint, ...]], now: float
    ) -> None:
        """Read the stream's window on the current surface, falling back to the next one on 404."""
        for _ in ORDER:
            surface = self._chooser.current()
            for endpoint in endpoints(surface):
                start, end = stream.window(now)
                try:
                    rows = read_window(self._client, endpoint, start, end)
                except NotServedError:
                    continue
                stream.apply(rows, end)
                if stream is self.observations:
                    self._reconciler.start_covering(start + self._overlap)
                if stream.newest is not None:
                    self._totals.seen(stream.newest)
                self._chooser.worked(surface)
                return
            self._chooser.not_found(surface)
        raise CollectError("unsupported", f"no read surface serves the {stream.kind}s")

    def save(self) -> None:
        try:
            self._state_file.save(
                lambda: {
                    "streams": {s.kind: s.state() for s in (self.observations, self.scores)},
                    "totals": self._totals.state(),
                    "reconcile": self._reconciler.state(),
                }
            )
        except OSError as exc:
            raise CollectError("io", f"cannot write the state file: {exc.strerror or exc}") from None


class ReconcileSource(Source):
    name = "reconcile"
    background = True

    def __init__(self, reconciler: Reconciler, events: EventsSource) -> None:
        self._reconciler, self._events = reconciler, events

    def collect(self) -> Iterator[Metric]:
        if self._reconciler.run(self._events.observations.watermark):
            self._events.save()
        return iter(())


class TotalsSource(Source):
    name = "totals"

    def __init__(self, client: LangfuseClient, totals: Totals) -> None:
        self._client, self._totals = client, totals

    def collect(self) -> Iterator[Metric]:
        yield from self._totals.families()
        newest = GaugeMetricFamily(
            f"{PREFIX}newest_event_timestamp_seconds", "Time of the newest observation or score seen (Unix)."
        )
        lag = GaugeMetricFamily(
            f"{PREFIX}ingestion_lag_seconds", "Age of the newest event seen, in Langfuse's clock."
        )
        if (when := self._totals.newest_event) is not None:
            newest.add_metric([], when)
            lag.add_metric([], max(0.0, self._client.server_now() - when))
        yield newest
        yield lag
        requests = CounterMetricFamily(
            f"{PREFIX}api_requests",
            "Requests to Langfuse's API by path and status code (or timeout/unreachable).",
            labels=["endpoint", "code"],
        )
        for (endpoint, code), count in sorted(dict(self._client.requests).items()):
            requests.add_metric([endpoint, code], count)
        yield requests
        remaining = GaugeMetricFamily(
            f"{PREFIX}rate_limit_remaining",
            "X-RateLimit-Remaining of the last answer, per Langfuse rate-limit resource.",
            labels=["resource"],
        )
        for resource, value in sorted(dict(self._client.remaining).items()):
            remaining.add_metric([resource], value)
        yield remaining


def build_sources(
    settings: LangfuseSettings, http: httpx.Client | None = None, clock: Callable[[], float] = time.monotonic
) -> list[Source]:
    """Every source of the exporter; ``http`` and ``clock`` are injectable for tests."""
    assert settings.public_key is not None and settings.secret_key is not None  # the validator requires them
    public_key = settings.public_key.get_secret_value().strip()
    client = LangfuseClient(
        http or httpx.Client(base_url=settings.langfuse_url, timeout=settings.collect_timeout),
        public_key,
        settings.secret_key.get_secret_value().strip(),
        interval=settings.collect_interval,
        clock=clock,
    )
    state_file = StateFile(settings.state_file, fingerprint(settings.langfuse_url, public_key))
    saved = state_file.load()
    caps = {
        "model": settings.max_models,
        "environment": settings.max_environments,
        "name": settings.max_score_names,
        "value": settings.max_categories,
    }
    totals = Totals(caps, saved.get("totals"))
    chooser = SurfaceChooser(settings.api)
    reconciler = Reconciler(
        client,
        chooser,
        totals,
        interval=settings.metrics_interval,
        overlap=settings.overlap,
        clock=clock,
        state=saved.get("reconcile"),
    )
    events = EventsSource(
        client, chooser, totals, reconciler=reconciler, settings=settings, state_file=state_file, saved=saved
    )
    sources: list[Source] = [HealthSource(client, chooser), events, TotalsSource(client, totals)]
    if settings.reconcile:
        sources.append(ReconcileSource(reconciler, events))
    return sources
