"""Fixtures for the Langfuse twin tests: a seeded database with a frozen clock and a twin factory."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock.db import open_db, update_clock
from mock.scenario import Scenario, load_scenarios
from mock.twins.langfuse.server import Keys, LangfuseTwin

ORIGIN = 1_795_000_000.0  # 2026-11-18T11:06:40Z, a Wednesday
KEYS = Keys("pk-lf-test-public", "sk-lf-test-secret", "pk-lf-org-public", "sk-lf-org-secret")
SetClock = Callable[..., None]
MakeTwin = Callable[..., LangfuseTwin]


def basic(public: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{public}:{secret}".encode()).decode()}


AUTH = basic(KEYS.public, KEYS.secret)


def get(twin: LangfuseTwin, path: str, *, auth: bool = True, **params: Any) -> httpx.Response:
    return httpx.get(f"{twin.url}/api/public{path}", headers=AUTH if auth else {}, params=params, timeout=30)


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    return load_scenarios()


@pytest.fixture
def set_clock(db_path: Path) -> SetClock:
    """Freeze the mock clock at scenario time ``t`` of ``scenario`` (origin fixed, clock paused)."""

    def apply(t: float, scenario: str = "normal") -> None:
        with open_db(db_path) as conn:
            update_clock(
                conn,
                lambda s: replace(
                    s, scenario=scenario, paused=True, started_at=None, offset_s=t, origin_wall=ORIGIN
                ),
            )

    apply(3600.0)
    return apply


@pytest.fixture
def make_twin(db_path: Path, set_clock: SetClock, scenarios: dict[str, Scenario]) -> Iterator[MakeTwin]:
    started: list[LangfuseTwin] = []

    def make(**options: Any) -> LangfuseTwin:
        twin = LangfuseTwin(db_path, KEYS, port=0, **{"scenarios": scenarios, **options}).start()
        started.append(twin)
        return twin

    yield make
    for twin in started:
        twin.stop()


@pytest.fixture
def twin(make_twin: MakeTwin) -> LangfuseTwin:
    return make_twin()
