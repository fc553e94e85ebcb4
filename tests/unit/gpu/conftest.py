"""Fixtures of the GPU exporter tests: a seeded mock database with its clock paused at a chosen time."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from exporters.gpu.config import GpuSettings
from exporters.gpu.sources import build_source
from mock.db import open_db, read_history
from mock.scenario import load_scenarios
from mock.twins.gpu.nvml import StandInNvml
from mock.twins.gpu.state import GpuState, gpu_states, load_host_gpus


@pytest.fixture
def db(db_path: Path) -> Path:
    """This suite's name for the private seed copy (tests/unit/conftest.py), so each test owns its clock."""
    return db_path


def hostnames(db: Path) -> dict[str, str]:
    """Seeded GPU hosts by the prefix of their name (gpu-h100, ws-rtx4090, ...)."""
    with sqlite3.connect(db) as conn:
        names = [row[0] for row in conn.execute("SELECT hostname FROM hosts ORDER BY id")]
    return {name.rsplit("-", 1)[0]: name for name in names}


def expected_states(db: Path, scenario: str, t: float, hostname: str | None = None) -> tuple[GpuState, ...]:
    """What the twin's state function says the GPUs are at (scenario, t): the tests' oracle."""
    scenarios = load_scenarios()
    with open_db(db) as conn:
        host = load_host_gpus(conn, hostname)
        history = [(scenarios[name], seconds) for name, seconds in read_history(conn)]
    return gpu_states(host, scenarios[scenario], t, history)


@pytest.fixture
def make_source(db: Path, tmp_path: Path) -> Iterator[Callable[..., tuple]]:
    """Build (source, stand-in) pairs for the test's database; every source is closed afterwards."""
    made = []

    def build(cache_s: float = 3600.0, **options: object) -> tuple:
        """The stand-in caches its state for ``cache_s``: the clock is paused, so only tests that move
        it between scrapes need a short cache."""
        settings = GpuSettings(
            gpu_backend="mock",
            gpu_mock_db=db,
            path_procfs=options.pop("path_procfs", tmp_path / "proc"),
            collector_xid=options.pop("collector_xid", False),
            **options,
        )
        module = StandInNvml(db, settings.gpu_mock_host, cache_s=cache_s)
        source = build_source(settings, module)
        made.append(source)
        return source, module

    yield build
    for source in made:
        source.close()
