"""A vLLM twin serving the seeded engines of the first host on free ports, over a private database copy."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mock.scenario import Scenario, load_scenarios
from mock.twins.vllm.server import VllmTwin
from mock.twins.vllm.state import FleetClock
from mock.twins.vllm.world import Engine, load_engines
from tests.unit.mock_clock import play


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    return load_scenarios()


@pytest.fixture(scope="session")
def seeded_engines(pristine_db: Path) -> list[Engine]:
    with sqlite3.connect(pristine_db) as conn:
        return load_engines(conn, 1)


@pytest.fixture
def start_twin(
    db_path: Path, scenarios: dict[str, Scenario], seeded_engines: list[Engine]
) -> Iterator[Callable[..., VllmTwin]]:
    """Start a twin over ``engines`` (default: the seeded ones) at a frozen scenario instant."""
    started: list[VllmTwin] = []

    def start(scenario: str = "normal", t: float = 600.0, engines: list[Engine] | None = None) -> VllmTwin:
        play(db_path, scenario, t)
        chosen = engines if engines is not None else seeded_engines
        twin = VllmTwin(FleetClock(db_path, chosen, scenarios, 1), chosen, [("127.0.0.1", 0)] * len(chosen))
        started.append(twin.start())
        return twin

    yield start
    for twin in started:
        twin.stop()
