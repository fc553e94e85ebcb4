"""The GPU scenarios: what they promise exists, and the twin's state does what they say."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import expected_states

from mock.scenario import load_scenarios
from tests.unit.mock_clock import play

REPO = Path(__file__).parents[3]
GPU_SCENARIOS = ("gpu-thermal-throttle", "gpu-memory-pressure", "gpu-xid-error", "peak-load")


def _gpu_alerts() -> set[str]:
    document = yaml.safe_load((REPO / "prometheus" / "rules" / "alerts-gpu.yml").read_text())
    return {rule["alert"] for group in document["groups"] for rule in group["rules"]}


def test_scenario_alerts_and_panels_exist() -> None:
    scenarios = load_scenarios()
    dashboard = json.loads((REPO / "grafana" / "dashboards" / "llmon-gpus.json").read_text())
    titles = {panel["title"] for panel in dashboard["panels"]}
    for name in GPU_SCENARIOS:
        scenario = scenarios[name]
        gpu_panels = [panel.split("/", 1)[1] for panel in scenario.panels if panel.startswith("llmon-gpus/")]
        assert gpu_panels and set(gpu_panels) <= titles, name
        assert {alert for alert in scenario.alerts if alert.startswith("Gpu")} <= _gpu_alerts()


def test_peak_load_caps_every_gpu_at_its_enforced_limit(db: Path) -> None:
    play(db, "peak-load", 300.0)
    for state in expected_states(db, "peak-load", 300.0):
        assert state.power_limit_w < state.seed.power_default_w
        assert state.reasons & 0x4, "software power cap reported"
        assert state.power_w <= state.power_limit_w


def test_memory_pressure_fills_memory_above_the_alert_threshold(db: Path) -> None:
    play(db, "gpu-memory-pressure", 300.0)
    for state in expected_states(db, "gpu-memory-pressure", 300.0):
        assert state.memory_used / state.seed.memory_total > 0.95


def test_xid_scenario_raises_48_then_loses_a_gpu(db: Path) -> None:
    early = {s.seed.index: s for s in expected_states(db, "gpu-xid-error", 30.0)}
    late = {s.seed.index: s for s in expected_states(db, "gpu-xid-error", 90.0)}
    assert [code for _, code in early[1].xids] == [48] and not early[3].lost
    assert early[1].ecc[(1, 0)] == 1 and early[1].remapped_rows[2] is True
    assert late[3].lost and [code for _, code in late[3].xids] == [79]
    assert late[1].ecc[(1, 0)] == 1 and not late[1].lost  # the ECC error stays on record until a reset
    assert [index for index, state in late.items() if state.lost] == [3]
