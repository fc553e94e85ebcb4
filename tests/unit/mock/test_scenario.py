"""Scenario files: the shipped ones validate and promise what the brief asks; bad ones fail in one line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grafana.dashboards_src.queries import iter_dashboard_queries
from mock.db import SeedSnapshot
from mock.errors import ScenarioFileError, UnknownScenarioError
from mock.scenario import SCENARIOS_DIR, Scenario, get_scenario, load_scenario_file

REPO_ROOT = Path(__file__).resolve().parents[3]

SERVER_HEALTH_PANELS = [
    "CPU utilisation",
    "Load per core",
    "Memory available",
    "Pressure stall (PSI)",
    "Filesystem used",
    "Filesystem free space",
    "Disk I/O",
    "Network traffic",
    "Temperatures",
    "Uptime",
]

VALID = """\
name: {name}
description: a test scenario
duration: 120
noise: 0.02
alerts: [Watchdog]
panels: ["llmon-server-health/CPU utilisation"]
phases:
  - start: 0
    host:
      cpu: {{user: 0.3}}
  - start: 60
    ramp: 10
    host:
      memory_used_ratio: 0.7
"""


def _write(tmp_path: Path, text: str, name: str = "broken") -> Path:
    path = tmp_path / f"{name}.yml"
    path.write_text(textwrap.dedent(text))
    return path


def test_every_shipped_scenario_validates(scenarios: dict[str, Scenario]) -> None:
    assert {"normal", "peak-load", "disk-full"} <= set(scenarios)
    assert sorted(scenarios) == sorted(p.stem for p in SCENARIOS_DIR.glob("*.yml"))


def test_scenarios_name_the_alerts_they_must_fire(scenarios: dict[str, Scenario]) -> None:
    assert scenarios["normal"].alerts == ["Watchdog"]
    assert set(scenarios["peak-load"].alerts) >= {"HostHighCpuUtilisation", "HostMemoryPressure"}
    assert set(scenarios["disk-full"].alerts) >= {"HostFilesystemAlmostFull", "HostFilesystemFillingUp"}


def test_scenarios_name_the_panels_that_must_show_data(scenarios: dict[str, Scenario]) -> None:
    def titles(name: str) -> set[str]:
        uids_and_titles = [panel.split("/", 1) for panel in scenarios[name].panels]
        return {title for uid, title in uids_and_titles if uid == "llmon-server-health"}

    assert titles("normal") == set(SERVER_HEALTH_PANELS)
    assert titles("peak-load") >= {"CPU utilisation", "Pressure stall (PSI)", "Memory available"}
    assert titles("disk-full") >= {"Filesystem used", "Filesystem free space"}
    for scenario in scenarios.values():
        missing = [panel for panel in scenario.panels if tuple(panel.split("/", 1)) not in dashboard_panels()]
        assert missing == [], f"{scenario.name} lists panels no dashboard in grafana/dashboards has"


def dashboard_panels() -> set[tuple[str, str]]:
    """(uid, panel title) of every committed dashboard."""
    dashboards = REPO_ROOT / "grafana" / "dashboards"
    return {(uid, title) for uid, title, _expr in iter_dashboard_queries(dashboards)}


def test_every_mountpoint_a_scenario_fills_exists_on_every_seeded_host(
    scenarios: dict[str, Scenario], snapshot: SeedSnapshot
) -> None:
    for scenario in scenarios.values():
        for host in snapshot.hosts:
            assert scenario.mountpoints() <= {fs.mountpoint for fs in host.filesystems}, scenario.name


def test_later_phases_inherit_what_they_do_not_set(tmp_path: Path) -> None:
    scenario = load_scenario_file(_write(tmp_path, VALID.format(name="inherit"), "inherit"))
    first, second = scenario.resolved_targets()
    assert first["cpu.user"] == second["cpu.user"] == 0.3
    assert second["memory_used_ratio"] == 0.7
    assert first["memory_used_ratio"] != 0.7  # the first phase starts from CALM


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (("cpu: {user: 0.3}", "cpu: {user: 1.5}"), "phases.0.host.cpu.user", "less than or equal to 1"),
        (("cpu: {user: 0.3}", "cpu: {user: 0.3, turbo: 1}"), "phases.0.host.cpu.turbo", "Extra inputs"),
        (("start: 60", "start: 0"), "phases.1.start", "strictly increase"),
        (("- start: 0\n", "- start: 0\n    ramp: 61\n"), "phases.0.ramp", "before the next phase"),
        (("cpu: {user: 0.3}", "cpu: {user: 0.6, system: 0.39}"), "phases.0.host.cpu", "exceeds one CPU"),
        (("noise: 0.02", "noise: 0.5"), "noise", "less than or equal to 0.05"),
        (("duration: 120", "loop: true"), "duration", "needs a duration"),
        (('panels: ["llmon-server-health/CPU utilisation"]', "panels: [no-slash]"), "panels.0", "pattern"),
        (("description: a test scenario\n", ""), "description", "Field required"),
        (("memory_used_ratio: 0.7", "filesystems: {/data: {used_ratio: 0.9, fill_rate: 10}}"),
         "phases.1.host.filesystems./data", "exactly one"),
    ],
)  # fmt: skip
def test_an_invalid_scenario_is_one_line_naming_file_and_field(
    tmp_path: Path, change: tuple[str, str], field: str, reason: str
) -> None:
    path = _write(tmp_path, VALID.format(name="broken").replace(*change))
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario_file(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {field}: ")
    assert reason in message


def test_a_file_whose_name_differs_from_its_scenario_name_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID.format(name="other"), "mine")
    with pytest.raises(ScenarioFileError, match=r"mine\.yml: name: must equal the file name 'mine'"):
        load_scenario_file(path)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nphases: [\n")
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario_file(path)
    assert str(caught.value).startswith(f"{path}: line ")
    assert "invalid YAML" in str(caught.value)


def test_unknown_scenario_lists_the_known_ones(scenarios: dict[str, Scenario]) -> None:
    with pytest.raises(UnknownScenarioError) as caught:
        get_scenario(scenarios, "nope")
    assert str(caught.value) == f"unknown scenario 'nope' (known: {', '.join(sorted(scenarios))})"
