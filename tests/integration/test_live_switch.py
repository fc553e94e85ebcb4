"""A scenario switch through the control API reaches the Server health dashboard's queries."""

from __future__ import annotations

import pytest
from live_stack import ControlAPI, PrometheusAPI, panel_queries, wait_until

from mock.scenario import DEFAULT_SCENARIO, load_scenarios

pytestmark = pytest.mark.integration

FILESYSTEM_PANEL = "llmon-server-health/Filesystem used"


def used_by_mountpoint(prometheus: PrometheusAPI, expr: str) -> dict[str, float]:
    return {series["metric"]["mountpoint"]: float(series["value"][1]) for series in prometheus.query(expr)}


def test_disk_full_shows_on_the_filesystem_used_panel(prometheus: PrometheusAPI, control: ControlAPI):
    """The filling mountpoints of disk-full climb to the scenario's first-phase used ratio (less its
    noise) on the "Filesystem used" panel, after a jump only to the end of that phase's ramp."""
    disk_full = load_scenarios()["disk-full"]
    arrival = disk_full.phases[0]
    targets = {mount: target.used_ratio for mount, target in arrival.host.filesystems.items()}
    assert targets and all(ratio is not None for ratio in targets.values())
    [expr] = [query.expr for query in panel_queries(prometheus) if query.key == FILESYSTEM_PANEL]
    before = used_by_mountpoint(prometheus, expr)
    assert {mount: before[mount] < ratio for mount, ratio in targets.items()} == dict.fromkeys(targets, True)

    try:
        assert control.put_scenario("disk-full").status_code == 200
        control.jump(arrival.start + arrival.ramp)
        wait_until(
            lambda: used_by_mountpoint(prometheus, expr),
            lambda used: all(
                used[mount] >= ratio * (1 - disk_full.noise) for mount, ratio in targets.items()
            ),
            f"{sorted(targets)} used at their disk-full level on {FILESYSTEM_PANEL}",
        )
    finally:
        control.put_scenario(DEFAULT_SCENARIO)
