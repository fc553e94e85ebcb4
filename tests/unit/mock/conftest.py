"""Fixtures for the mock's unit tests (the seed database fixtures are in tests/unit/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock.db import SeedSnapshot, load_snapshot, open_db
from mock.scenario import Scenario, load_scenarios


@pytest.fixture(scope="session")
def snapshot(pristine_db: Path) -> SeedSnapshot:
    with open_db(pristine_db) as conn:
        return load_snapshot(conn)


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    return load_scenarios()
