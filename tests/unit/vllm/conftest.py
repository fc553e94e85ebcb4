"""Fixtures of the vLLM exporter tests: fake engines on free ports, stopped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from vllm_fakeengine import FakeEngine


@pytest.fixture
def engines() -> Iterator[Callable[..., FakeEngine]]:
    """A factory of FakeEngines; every engine it made is stopped at the end of the test."""
    made: list[FakeEngine] = []

    def make(**kwargs: object) -> FakeEngine:
        engine = FakeEngine(**kwargs)  # type: ignore[arg-type]
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.stop()
