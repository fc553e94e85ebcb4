"""The mock control API as the stack runs it: a bad scenario name is refused and changes nothing."""

from __future__ import annotations

import pytest
from live_stack import ControlAPI

from mock.scenario import load_scenarios

pytestmark = pytest.mark.integration


def test_unknown_scenario_is_404_with_the_error_shape_and_changes_nothing(control: ControlAPI):
    before = control.status()

    response = control.put_scenario("no-such-scenario")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "scenario_not_found"
    assert "no-such-scenario" in error["message"]
    assert error["details"] == {"name": "no-such-scenario", "known": sorted(load_scenarios())}
    after = control.status()
    assert (after["scenario"], after["generation"]) == (before["scenario"], before["generation"])
