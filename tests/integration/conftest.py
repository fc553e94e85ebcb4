"""Fixtures for the integration tests: API clients for the session's native stack (tests/conftest.py).

grafana/ is not an installed package, so the repository root goes on sys.path here (unless pytest's
`pythonpath` already put it there) for live_stack to reuse the dashboards' query iterator.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from live_stack import ControlAPI, PrometheusAPI  # noqa: E402 - needs the sys.path entry above

from mock.stack import NativeStack  # noqa: E402


@pytest.fixture(scope="session")
def prometheus(stack: NativeStack) -> Iterator[PrometheusAPI]:
    api = PrometheusAPI(stack.prometheus_url)
    yield api
    api.http.close()


@pytest.fixture(scope="session")
def control(stack: NativeStack) -> Iterator[ControlAPI]:
    api = ControlAPI(stack.url("mock-control"))
    yield api
    api.http.close()
