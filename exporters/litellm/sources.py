"""The exporter's sources, sharing one HTTP client (so a 429 or a backoff pauses them all)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from exporters.base import Source
from exporters.base.labelcap import LabelCap
from exporters.litellm.activity import ActivitySource
from exporters.litellm.admin import AdminSource, HealthSource
from exporters.litellm.client import ProxyClient
from exporters.litellm.config import LitellmSettings
from exporters.litellm.scrape import MetricsScrapeSource
from exporters.litellm.state import StateFile


def build_sources(
    settings: LitellmSettings, http: httpx.Client | None = None, wall_clock: Callable[[], float] = time.time
) -> list[Source]:
    """Health, admin lists and daily activity (plus /metrics with --scrape-metrics); ``http`` is
    injectable so tests can hand in a transport that misbehaves on purpose."""
    assert settings.master_key is not None  # the settings validator requires it
    client = ProxyClient(
        http or httpx.Client(base_url=settings.litellm_url, timeout=settings.collect_timeout),
        settings.master_key.get_secret_value(),
        settings.collect_interval,
    )
    caps = {
        "key": LabelCap(settings.max_keys),
        "team": LabelCap(settings.max_teams),
        "model": LabelCap(settings.max_models),
    }
    sources: list[Source] = [
        HealthSource(client, wall_clock),
        AdminSource(client, caps),
        ActivitySource(
            client,
            caps,
            wall_clock,
            StateFile(settings.state_file, settings.litellm_url) if settings.state_file else None,
        ),
    ]
    if settings.scrape_metrics:
        sources.append(MetricsScrapeSource(client, caps["model"]))
    return sources
