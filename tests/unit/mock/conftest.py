"""Fixtures for the mock's unit tests: one seed database per session, copied per test that writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mock.db import SeedSnapshot, load_snapshot, open_db
from mock.scenario import Scenario, load_scenarios
from mock.seed.generate import build_seed

SEED = 42


@pytest.fixture(scope="session")
def pristine_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "mock.db"
    build_seed(SEED, path)
    return path


@pytest.fixture
def db_path(pristine_db: Path, tmp_path: Path) -> Path:
    """A private copy of the seed database that a test may change."""
    path = tmp_path / "mock.db"
    shutil.copyfile(pristine_db, path)
    return path


@pytest.fixture(scope="session")
def snapshot(pristine_db: Path) -> SeedSnapshot:
    with open_db(pristine_db) as conn:
        return load_snapshot(conn)


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    return load_scenarios()
