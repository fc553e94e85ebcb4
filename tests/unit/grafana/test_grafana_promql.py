"""Every dashboard query is valid PromQL (promtool) and the query helpers behave as documented."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from grafana import DASHBOARDS_DIR
from grafana.dashboards_src import lint
from grafana.dashboards_src.promql import Matcher, PromQLSyntaxError, selectors
from grafana.dashboards_src.queries import (
    DEFAULT_VALUES,
    iter_dashboard_queries,
    promtool_syntax_errors,
    substitute_variables,
)

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")


def _variable_selectors(dashboards: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The series selector inside each ``label_values(selector, label)`` variable query."""
    found = {}
    for uid, dashboard in dashboards.items():
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                match = lint.LABEL_VALUES.match(variable["query"])
                assert match is not None, f"{uid} ${variable['name']}"
                found[f"{uid} / variable {variable['name']}"] = match.group("selector")
    return found


def test_iter_dashboard_queries_lists_every_target(committed_dashboards: dict[str, dict[str, Any]]) -> None:
    queries = iter_dashboard_queries(DASHBOARDS_DIR)
    expected = sum(len(p.get("targets", [])) for d in committed_dashboards.values() for p in d["panels"])
    annotations = [
        (uid, annotation["name"], annotation["expr"])
        for uid, d in committed_dashboards.items()
        for annotation in d["annotations"].get("list", [])
        if "expr" in annotation
    ]

    assert len(queries) == expected + len(annotations)
    assert annotations and set(annotations) <= set(queries)  # the Containers events, run like panels
    assert (
        "llmon-server-health",
        "Memory total",
        'node_memory_MemTotal_bytes{job=~"$job", instance=~"$instance"}',
    ) in (queries)
    assert iter_dashboard_queries(DASHBOARDS_DIR / "llmon-self.json") == [
        q for q in queries if q[0] == "llmon-self"
    ]


@needs_promtool
def test_every_dashboard_query_parses(committed_dashboards: dict[str, dict[str, Any]]) -> None:
    named = {
        f"{uid} / {title} / {index}": substitute_variables(expr)
        for index, (uid, title, expr) in enumerate(iter_dashboard_queries(DASHBOARDS_DIR))
    }
    named.update(
        {name: substitute_variables(s) for name, s in _variable_selectors(committed_dashboards).items()}
    )

    assert promtool_syntax_errors(named) is None


def test_an_annotation_named_like_a_panel_is_refused(tmp_path: Path) -> None:
    """Scenarios name panels and annotations alike as "<uid>/<name>", so the two must not collide."""
    dashboard = {
        "uid": "clash",
        "panels": [{"title": "Restarts", "targets": [{"expr": "up"}]}],
        "annotations": {"list": [{"name": "Restarts", "expr": "changes(up[5m]) > 0"}]},
    }
    (tmp_path / "clash.json").write_text(json.dumps(dashboard))

    with pytest.raises(ValueError, match="annotation 'Restarts' has the title of a panel"):
        iter_dashboard_queries(tmp_path)


@needs_promtool
def test_promtool_check_names_the_broken_query() -> None:
    errors = promtool_syntax_errors({"good": "up", "server / Broken panel": "sum(rate(up[1m])"})

    assert errors is not None
    assert 'group "server / Broken panel"' in errors
    assert 'group "good"' not in errors


def test_substitute_variables_uses_grafana_forms() -> None:
    expr = 'rate(x{job=~"$job", instance=~"${instance}", a="[[job]]"}[$__rate_interval])'

    assert substitute_variables(expr, {"job": "j", "instance": "i", "__rate_interval": "2m"}) == (
        'rate(x{job=~"j", instance=~"i", a="j"}[2m])'
    )
    assert substitute_variables("${instance:regex}", {"instance": "a|b"}) == "a|b"


def test_substitute_variables_keeps_regex_group_references() -> None:
    expr = 'label_replace(up, "host", "$1", "instance", "(.*):.*")'

    assert substitute_variables(expr) == expr


def test_substitute_variables_refuses_unknown_variables() -> None:
    with pytest.raises(KeyError, match=r"\$undeclared"):
        substitute_variables('x{gpu=~"$undeclared"}', DEFAULT_VALUES)


def test_selectors_report_matchers_ranges_and_enclosing_function() -> None:
    expr = (
        'node_load1{job=~"$job"} / on(job, instance) '
        'count by (job, instance) (rate(node_cpu_seconds_total{mode="idle"}[$__rate_interval]))'
    )

    load, cpu = selectors(expr)

    assert (load.name, load.matchers, load.range, load.function) == (
        "node_load1",
        (Matcher("job", "=~", "$job"),),
        None,
        None,
    )
    assert (cpu.name, cpu.range, cpu.function) == ("node_cpu_seconds_total", "$__rate_interval", "rate")


def test_selectors_skip_grouping_labels_keywords_and_strings() -> None:
    expr = 'sum without (cpu) (a) > bool 1 or on() label_replace(vector(0), "x", "{not}", "", "")'

    assert [s.name for s in selectors(expr)] == ["a"]


def test_selectors_find_bare_matcher_blocks() -> None:
    [selector] = selectors('{__name__="up", job="a,b"}')

    assert selector.name == "up"
    assert selector.has_matcher("job", "=", "a,b")


@pytest.mark.parametrize("expr", ["rate(x[1m]", 'x{job=~"a}', "x{job}", "sum(x))", "x]"])
def test_selectors_reject_lexically_broken_expressions(expr: str) -> None:
    with pytest.raises(PromQLSyntaxError):
        selectors(expr)
