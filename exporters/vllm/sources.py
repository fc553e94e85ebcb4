"""The exporter's sources: discovery (file, docker), the engines' cycle and model metadata."""

from __future__ import annotations

import httpx

from exporters.base import Source
from exporters.container.api import DockerApi
from exporters.vllm.config import VllmSettings
from exporters.vllm.docker_sd import DockerDiscovery, daemon_host
from exporters.vllm.engine import EnginePoller
from exporters.vllm.file_sd import FileDiscovery
from exporters.vllm.fleet import EnginesSource
from exporters.vllm.hub import HubLookup
from exporters.vllm.metadata import offline_requested
from exporters.vllm.models import ModelsSource
from exporters.vllm.targets import TargetRegistry, parse_static


def build_sources(settings: VllmSettings, http: httpx.Client | None = None) -> list[Source]:
    """Static targets go straight into the registry; the discoveries refresh it on their loops."""
    registry = TargetRegistry()
    registry.replace("static", [parse_static(text) for text in settings.targets])
    sources: list[Source] = []
    if settings.file_sd:
        sources.append(FileDiscovery(settings.file_sd, registry))
    if settings.docker:
        api = DockerApi(settings.docker_host, settings.request_timeout)
        address = settings.docker_address or daemon_host(settings.docker_host)
        sources.append(DockerDiscovery(api, registry, settings.docker_image, address))
    client = http or httpx.Client(
        timeout=settings.request_timeout,
        follow_redirects=True,
        limits=httpx.Limits(max_connections=settings.concurrency * 2),
    )
    engines = EnginesSource(registry, EnginePoller(client, settings.request_timeout), settings.concurrency)
    sources.append(engines)
    if settings.metadata:
        token = settings.hub_token.get_secret_value() if settings.hub_token else None
        hub = HubLookup(
            settings.hub_cache, settings.hub_endpoint, token,
            settings.offline or offline_requested(), settings.request_timeout,
        )  # fmt: skip
        budget = settings.collect_timeout / 2
        sources.append(
            ModelsSource(
                engines.served_models,
                hub,
                refresh=settings.metadata_refresh,
                retry=settings.collect_interval,
                budget=budget,
            )
        )
    return sources
