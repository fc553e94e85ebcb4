"""Fixtures for the exporters.base tests: in-process servers that are always stopped, and scrape helpers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_base_exporter import FakeSettings, ScriptedSource, spec_serving

from exporters.base import ExporterServer, Source

StartExporter = Callable[..., ExporterServer]


@pytest.fixture
def start_exporter() -> Iterator[StartExporter]:
    """Start an ExporterServer on a free port serving the given sources; stops it and unblocks them after."""
    started: list[tuple[ExporterServer, list[Source]]] = []

    def _start(sources: list[Source], **settings: Any) -> ExporterServer:
        server = ExporterServer(
            spec_serving(sources), FakeSettings(web_listen_address="127.0.0.1:0", **settings)
        )
        started.append((server, sources))
        return server.start()

    yield _start
    for server, sources in started:
        for source in sources:
            if isinstance(source, ScriptedSource):
                source.gate.set()
        server.stop()


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    """run() and setup_logging() configure the root logger; give every test the state it started with."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
