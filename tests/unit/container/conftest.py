"""Fixtures for the container exporter and Docker twin tests: a seeded database, the twin over real
HTTP, an exporter pointed at it, and helpers to drive the scenario clock and read /metrics."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporters.base import ExporterServer
from exporters.container.__main__ import SPEC
from exporters.container.config import ContainerSettings
from mock.db import open_db, update_clock
from mock.twins.docker.server import DockerTwin
from mock.twins.docker.world import World

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def jump(db: Path, seconds: float) -> None:
    with open_db(db) as conn:
        update_clock(conn, lambda s: s.jumped(seconds, time.time()))


@pytest.fixture
def make_twin(db_path: Path) -> Iterator[Callable[..., DockerTwin]]:
    started: list[DockerTwin] = []

    def build(extra: int = 0, **options: Any) -> DockerTwin:
        options.setdefault("stats_latency", 0.0)
        options.setdefault("tick", 0.05)
        twin = DockerTwin(World(db_path, extra=extra), **options).start()
        started.append(twin)
        return twin

    yield build
    for twin in started:
        twin.stop()


@pytest.fixture
def twin(make_twin: Callable[..., DockerTwin]) -> DockerTwin:
    return make_twin()


@pytest.fixture
def client(twin: DockerTwin) -> Iterator[docker.DockerClient]:
    sdk = docker.DockerClient(base_url=twin.base_url, timeout=10)
    yield sdk
    sdk.close()


class Exporter:
    """An exporter server plus its sources, stopped (threads included) by ``stop()``."""

    def __init__(self, settings: ContainerSettings) -> None:
        self.server = ExporterServer(SPEC, settings).start()
        self.url = self.server.url

    def text(self) -> str:
        response = httpx.get(self.url + "/metrics", timeout=10)
        assert response.status_code == 200
        return response.text

    def samples(self) -> Samples:
        out: Samples = {}
        for family in text_string_to_metric_families(self.text()):
            for sample in family.samples:
                out[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return out

    def stop(self) -> None:
        self.server.stop()
        for source in self.server.collection.sources:
            source.close()  # type: ignore[attr-defined]


@pytest.fixture
def make_exporter() -> Iterator[Callable[..., Exporter]]:
    started: list[Exporter] = []

    def build(twin_url: str, **options: Any) -> Exporter:
        options.setdefault("collect_interval", 0.2)
        options.setdefault("collect_timeout", 5.0)
        options.setdefault("stats_deadline", 4.0)
        options.setdefault("events_idle_timeout", 30.0)
        settings = ContainerSettings(web_listen_address="127.0.0.1:0", docker_host=twin_url, **options)
        exporter = Exporter(settings)
        started.append(exporter)
        return exporter

    yield build
    for exporter in started:
        exporter.stop()


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll until ``condition()`` is truthy and return it; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def value(samples: Samples, metric: str, /, **labels: str) -> float | None:
    """The one sample of ``metric`` whose labels include ``labels`` (None if absent)."""
    wanted = set(labels.items())
    found = [v for (n, ls), v in samples.items() if n == metric and wanted <= ls]
    assert len(found) <= 1, f"{metric} {labels} matches {len(found)} samples"
    return found[0] if found else None
