"""Fixtures shared by the unit suites that read the mock world: one seed database per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mock.seed.generate import build_seed

SEED = 42


@pytest.fixture(scope="session")
def pristine_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed database, built once; tests only read it or copy it (see ``db_path``)."""
    path = tmp_path_factory.mktemp("seed") / "mock.db"
    build_seed(SEED, path)
    return path


@pytest.fixture
def db_path(pristine_db: Path, tmp_path: Path) -> Path:
    """A private copy of the seed database that a test may change (its clock, its scenario)."""
    path = tmp_path / "mock.db"
    shutil.copyfile(pristine_db, path)
    return path
