"""The exporter against the Langfuse twin on each surface: its counts equal the twin's own listings,
and the metrics-API reconciliation finds nothing to add when nothing arrived late."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fake_langfuse import iso
from langfuse_support import Clock, by_name, values

from exporters.langfuse.config import LangfuseSettings
from exporters.langfuse.sources import build_sources
from mock.db import open_db, update_clock
from mock.twins.langfuse.server import Keys, LangfuseTwin

KEYS = Keys(public="pk-lf-twin-test-1", secret="sk-lf-twin-test-SECRET-2")
ORIGIN = 1_790_000_000.0
END = 1800


def _clock_setter(db: Path) -> Callable[[float], None]:
    def at(t: float) -> None:
        with open_db(db) as conn:
            update_clock(
                conn,
                lambda s: replace(
                    s, scenario="normal", paused=True, started_at=None, offset_s=t, origin_wall=ORIGIN
                ),
            )

    return at


def _truth(twin: LangfuseTwin, start: float, end: float, **filters: str) -> int:
    """How many observations the twin lists in [start, end) (its legacy listing, one row fetched)."""
    params = {"fromStartTime": iso(start), "toStartTime": iso(end), "limit": 1, **filters}
    body = httpx.get(
        f"{twin.url}/api/public/observations", params=params, auth=(KEYS.public, KEYS.secret)
    ).json()
    return int(body["meta"]["totalItems"])


@pytest.mark.parametrize("api", ["v4", "v3", "v2"])
def test_counts_match_the_twin_on_every_surface(db_path: Path, clock: Clock, api: str) -> None:
    at = _clock_setter(db_path)
    at(0.0)
    with LangfuseTwin(db_path, KEYS, port=0, api_version=api) as twin:
        settings = LangfuseSettings(
            langfuse_url=twin.url, public_key=KEYS.public, secret_key=KEYS.secret, metrics_interval=600
        )
        sources = by_name(build_sources(settings, clock=clock))
        # what the baseline poll (t=0) sees is not counted; an event is listed once it has ended, so
        # the truth is "listed by the end" minus "listed at the baseline", from the overlap on
        start = ORIGIN - settings.overlap
        before = {
            "type": _truth(twin, start, ORIGIN, type="GENERATION"),
            "level": _truth(twin, start, ORIGIN, level="ERROR"),
        }
        for t in range(0, END + 1, 300):
            at(float(t))
            clock.now = 1000.0 + t
            list(sources["health"].collect())
            list(sources["events"].collect())
            if "reconcile" in sources:
                list(sources["reconcile"].collect())
        found = values(sources["totals"].collect())
        generations = sum(v for (n, _), v in found.items() if n == "llmon_langfuse_generations_total")
        errors = sum(
            v
            for (n, labels), v in found.items()
            if n == "llmon_langfuse_observations_total" and dict(labels)["level"] == "ERROR"
        )
        assert generations == _truth(twin, start, ORIGIN + END, type="GENERATION") - before["type"] > 0
        assert errors == _truth(twin, start, ORIGIN + END, level="ERROR") - before["level"]
        info = values(sources["health"].collect())
        assert info[("llmon_langfuse_info", (("api", api), ("version", twin.api.version)))] == 1.0
        metrics_calls = sum(
            v
            for (n, labels), v in found.items()
            if n == "llmon_langfuse_api_requests_total" and "metrics" in dict(labels)["endpoint"]
        )
        if api == "v2":
            assert metrics_calls == 0  # no metrics API on v2
        else:  # at least one 600 s slice closed and settled; never more than one call per interval
            assert 1 <= metrics_calls <= END / settings.metrics_interval
