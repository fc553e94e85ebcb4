"""The dashboard lint passes on the committed dashboards and catches each rule's violation."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from grafana import DASHBOARDS_DIR
from grafana.dashboards_src import lint

Dashboard = dict[str, Any]
HEALTH = "llmon-server-health"


def _panel(dashboard: Dashboard, title: str) -> dict[str, Any]:
    return next(p for p in dashboard["panels"] if p["title"] == title)


def _variable(dashboard: Dashboard, name: str) -> dict[str, Any]:
    return next(v for v in dashboard["templating"]["list"] if v["name"] == name)


def _drop_variable(name: str) -> Callable[[Dashboard], None]:
    def mutate(dashboard: Dashboard) -> None:
        dashboard["templating"]["list"].remove(_variable(dashboard, name))

    return mutate


def _edit_expr(title: str, old: str, new: str) -> Callable[[Dashboard], None]:
    def mutate(dashboard: Dashboard) -> None:
        target = _panel(dashboard, title)["targets"][0]
        assert old in target["expr"], "the mutation must change the query"
        target["expr"] = target["expr"].replace(old, new)

    return mutate


def _set(title: str, path: tuple[str, ...], value: object) -> Callable[[Dashboard], None]:
    def mutate(dashboard: Dashboard) -> None:
        node: Any = _panel(dashboard, title)
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _copy_grid(source: str, onto: str) -> Callable[[Dashboard], None]:
    def mutate(dashboard: Dashboard) -> None:
        _panel(dashboard, onto)["gridPos"] = dict(_panel(dashboard, source)["gridPos"])

    return mutate


def _rename(title: str, new: str) -> Callable[[Dashboard], None]:
    return _set(title, ("title",), new)


def _update(**changes: object) -> Callable[[Dashboard], None]:
    return lambda dashboard: dashboard.update(changes)


BROKEN: list[tuple[str, Callable[[Dashboard], None]]] = [
    ("dashboard-title-rule", _update(title="")),
    ("dashboard-uid-rule", _update(uid="Server Health!")),
    ("dashboard-uid-rule", _update(uid="llmon-renamed")),
    ("dashboard-no-id-rule", _update(id=7)),
    ("uneditable-dashboard", _update(editable=True)),
    ("template-datasource-rule", _drop_variable("datasource")),
    ("template-job-rule", _drop_variable("job")),
    ("template-instance-rule", _drop_variable("instance")),
    ("template-on-time-change-reload-rule", lambda d: _variable(d, "instance").update(refresh=1)),
    (
        "template-label-promql-rule",
        lambda d: _variable(d, "instance").update(
            query='label_values(node_uname_info{job=~"$job", instance)'
        ),
    ),
    ("panel-datasource-rule", _set("Uptime", ("datasource", "uid"), "prometheus")),
    (
        "panel-datasource-rule",
        lambda d: _panel(d, "Uptime")["targets"][0]["datasource"].update(uid="prometheus"),
    ),
    ("panel-title-description-rule", _set("Uptime", ("description",), "")),
    ("panel-title-description-rule", _rename("Uptime", "")),
    ("panel-units-rule", lambda d: _panel(d, "Uptime")["fieldConfig"]["defaults"].pop("unit")),
    ("panel-units-rule", _set("Uptime", ("fieldConfig", "defaults", "unit"), "seconds")),
    ("panel-no-targets-rule", _set("Uptime", ("targets",), [])),
    ("panel-title-unique-rule", _rename("Memory total", "Uptime")),
    ("panel-id-unique-rule", lambda d: _panel(d, "Uptime").update(id=_panel(d, "Memory total")["id"])),
    ("panel-id-unique-rule", lambda d: _panel(d, "Uptime").pop("id")),
    ("panel-gridpos-rule", _copy_grid("Memory total", onto="Uptime")),
    ("panel-gridpos-rule", _set("Uptime", ("gridPos", "x"), 20)),
    ("panel-gridpos-rule", lambda d: _panel(d, "Uptime").pop("gridPos")),
    ("target-promql-rule", _edit_expr("Uptime", "node_boot_time_seconds{", "node_boot_time_seconds{{")),
    ("target-rate-interval-rule", _edit_expr("CPU utilisation", "[$__rate_interval]", "[5m]")),
    (
        "target-counter-agg-rule",
        _edit_expr("Disk I/O", "rate(node_disk_read_bytes_total", "abs(node_disk_read_bytes_total"),
    ),
    ("target-job-rule", _edit_expr("Uptime", 'job=~"$job", ', "")),
    ("target-job-rule", _edit_expr("Uptime", 'job=~"$job"', 'job="llmon-node"')),
    ("target-instance-rule", _edit_expr("Uptime", 'instance=~"$instance"', 'instance=~".*"')),
]


@pytest.fixture
def health(committed_dashboards: dict[str, Dashboard]) -> Dashboard:
    return copy.deepcopy(committed_dashboards[HEALTH])


def test_committed_dashboards_pass_the_lint() -> None:
    assert [str(v) for v in lint.lint_paths([DASHBOARDS_DIR])] == []


def test_server_health_needs_no_exclusion(health: Dashboard) -> None:
    assert lint.lint_dashboard(health, HEALTH) == []


@pytest.mark.parametrize(
    ("rule", "mutate"), BROKEN, ids=[f"{rule}-{i}" for i, (rule, _) in enumerate(BROKEN)]
)
def test_each_rule_catches_its_violation(
    health: Dashboard, rule: str, mutate: Callable[[Dashboard], None]
) -> None:
    mutate(health)

    violations = lint.lint_dashboard(health, HEALTH)

    assert rule in {v.rule for v in violations}, [str(v) for v in violations]


def test_every_rule_has_a_negative_test() -> None:
    """A rule added to the lint without a broken example here would be unproven."""
    assert {rule for rule, _ in BROKEN} == lint.RULES


def test_unknown_rule_names_are_refused(tmp_path: Path) -> None:
    (tmp_path / ".lint").write_text("exclusions:\n  target-jbo-rule:\n    reason: typo\n", encoding="utf-8")

    with pytest.raises(lint.LintConfigError, match="unknown rule target-jbo-rule"):
        lint.load_exclusions(tmp_path / ".lint")
    with pytest.raises(ValueError, match="unknown lint rule"):
        lint.Violation("target-jbo-rule", "d", None, "m")


def test_exclusions_cover_exactly_the_prometheus_health_panel(
    committed_dashboards: dict[str, Dashboard],
) -> None:
    """The .lint file must neither hide anything else nor go stale."""
    raw = lint.lint_dashboard(committed_dashboards["llmon-self"], "llmon-self")
    exclusions = lint.load_exclusions(DASHBOARDS_DIR / lint.EXCLUSIONS_FILE)

    assert raw, "the exclusions in .lint are stale: nothing needs them any more"
    assert {(v.rule, v.panel) for v in raw} == {
        ("target-job-rule", "Prometheus health"),
        ("target-instance-rule", "Prometheus health"),
    }
    assert all(any(e.covers(v) for e in exclusions) for v in raw)


def test_exclusion_without_reason_is_rejected(tmp_path: Path) -> None:
    (tmp_path / ".lint").write_text(
        "exclusions:\n  target-job-rule:\n    entries:\n      - dashboard: x\n", encoding="utf-8"
    )

    with pytest.raises(lint.LintConfigError, match="target-job-rule needs a reason"):
        lint.load_exclusions(tmp_path / ".lint")


def test_exclusion_applies_only_to_its_dashboard_and_panel() -> None:
    exclusion = lint.Exclusion("target-job-rule", "why", dashboard="A", panel="P")

    assert exclusion.covers(lint.Violation("target-job-rule", "A", "P", "m"))
    assert not exclusion.covers(lint.Violation("target-job-rule", "A", "Q", "m"))
    assert not exclusion.covers(lint.Violation("target-job-rule", "B", "P", "m"))
    assert not exclusion.covers(lint.Violation("target-instance-rule", "A", "P", "m"))


def test_cli_reports_violations_and_fails(
    tmp_path: Path, health: Dashboard, capsys: pytest.CaptureFixture[str]
) -> None:
    health["editable"] = True
    (tmp_path / f"{HEALTH}.json").write_text(json.dumps(health), encoding="utf-8")

    assert lint.main([str(tmp_path)]) == 1

    assert capsys.readouterr().out == (
        "[uneditable-dashboard] Server health: editable must be false for provisioned dashboards\n"
    )


def test_cli_passes_on_committed_dashboards(capsys: pytest.CaptureFixture[str]) -> None:
    assert lint.main([]) == 0
    assert capsys.readouterr().out == ""


def test_cli_rejects_unreadable_json_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")

    assert lint.main([str(tmp_path)]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.json: not valid JSON" in err
