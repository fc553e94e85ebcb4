"""Fixtures for the LiteLLM twin and exporter tests: a seeded database with a frozen clock, the twin
serving it over real HTTP on a free port, and the scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from litellm_support import MASTER_KEY, ORIGIN, SetClock

from mock.db import open_db, update_clock
from mock.scenario import Scenario, load_scenarios
from mock.twins.litellm.server import LitellmTwin


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    return load_scenarios()


@pytest.fixture
def db(db_path: Path) -> Path:
    """This suite's name for the private seed copy (tests/unit/conftest.py)."""
    return db_path


@pytest.fixture
def set_clock(db: Path) -> SetClock:
    """Freeze the mock clock at scenario time ``t`` of ``scenario`` (origin fixed, clock paused)."""

    def apply(t: float, scenario: str = "normal") -> None:
        with open_db(db) as conn:
            update_clock(
                conn,
                lambda s: replace(
                    s, scenario=scenario, paused=True, started_at=None, offset_s=t, origin_wall=ORIGIN
                ),
            )

    apply(0.0)
    return apply


@pytest.fixture
def twin(db: Path, set_clock: SetClock, scenarios: dict[str, Scenario]) -> Iterator[LitellmTwin]:
    with LitellmTwin(db, MASTER_KEY, port=0, scenarios=scenarios) as running:
        yield running
