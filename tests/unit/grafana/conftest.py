"""Fixtures for the Grafana dashboard and provisioning tests.

grafana/ is not an installed package (the editable install maps only exporters and mock), so
the repository root is put on sys.path here unless pytest's ``pythonpath`` already did it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


from grafana import DASHBOARDS_DIR  # noqa: E402  (needs the sys.path entry above)


@pytest.fixture(scope="session")
def committed_dashboards() -> dict[str, dict[str, Any]]:
    """uid -> parsed JSON of every committed dashboard."""
    dashboards = {}
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        dashboards[dashboard["uid"]] = dashboard
    return dashboards
