"""Fixtures for the Langfuse exporter tests: a scripted Langfuse over real HTTP and a settable clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_langfuse import FakeLangfuse
from langfuse_support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake() -> FakeLangfuse:
    return FakeLangfuse("v4")


@pytest.fixture
def url(fake: FakeLangfuse) -> Iterator[str]:
    with fake.serve() as base:
        yield base
