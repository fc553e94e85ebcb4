"""The Quality and cost dashboard draws what the Langfuse alerts compare, filtered by its pickers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from grafana import DASHBOARDS_DIR
from grafana.dashboards_src.langfuse import UID
from grafana.dashboards_src.queries import iter_panels

RULES_DIR = Path(__file__).resolve().parents[3] / "prometheus" / "rules"
RECORDED_NAME = re.compile(r"\b[a-z_]+:llmon_langfuse_[a-z0-9_]+:[a-z0-9_]+\b")
# Families labelled by model, and by score name: a query on them must follow the picker.
PER_MODEL = ("generations_total", "cost_usd_total", "tokens_total", "latency_seconds", "first_token_seconds")
PER_SCORE = ("score_value", "scores_total", "scores:")


def _dashboard() -> dict[str, Any]:
    return json.loads((DASHBOARDS_DIR / f"{UID}.json").read_text())


def _panels() -> dict[str, dict[str, Any]]:
    return {panel["title"]: panel for panel in iter_panels(_dashboard()) if panel["type"] != "row"}


def _expressions(panel: dict[str, Any]) -> list[str]:
    return [target["expr"] for target in panel["targets"]]


def _rules() -> dict[str, str]:
    """Recorded name or alert name -> expression, over every Langfuse rule file."""
    rules: dict[str, str] = {}
    for path in sorted(RULES_DIR.glob("*langfuse*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                rules[rule.get("record") or rule["alert"]] = rule["expr"]
    return rules


def test_every_recorded_series_the_dashboard_reads_is_recorded() -> None:
    rules = _rules()
    read = {
        name
        for panel in _panels().values()
        for expr in _expressions(panel)
        for name in RECORDED_NAME.findall(expr)
    }

    assert read, "the dashboard reads no recorded Langfuse series"
    assert sorted(read - rules.keys()) == []


@pytest.mark.parametrize(
    ("panel", "alert"),
    [
        ("Score averages vs 7-day baseline", "LangfuseQualityScoreDropped"),
        ("Error ratio per observation type", "LangfuseErrorObservationsHigh"),
    ],
)
def test_panels_draw_the_series_their_alert_compares(panel: str, alert: str) -> None:
    """What the alert compares (current value and baseline) is on the panel, so its firing can be seen."""
    compared = set(RECORDED_NAME.findall(_rules()[alert]))
    drawn = {name for expr in _expressions(_panels()[panel]) for name in RECORDED_NAME.findall(expr)}

    assert compared
    assert compared <= drawn


def test_cost_per_request_panel_uses_the_baseline_the_alert_uses() -> None:
    """The panel sums the 7-day increases per model; the alert divides the same increases."""
    baseline = _rules()["environment_model:llmon_langfuse_cost_per_generation_usd:ratio7d"]
    increases = set(RECORDED_NAME.findall(baseline))
    [current, drawn_baseline] = _expressions(_panels()["Cost per 1k requests"])

    assert increases == set(RECORDED_NAME.findall(drawn_baseline))
    assert (
        "environment_model:llmon_langfuse_cost_per_generation_usd:ratio7d"
        in _rules()["LangfuseCostPerRequestSpike"]
    )
    assert current.endswith("* 1000") and drawn_baseline.endswith("* 1000")


def test_pickers_filter_every_query_on_their_families() -> None:
    for title, panel in _panels().items():
        for expr in _expressions(panel):
            if any(family in expr for family in PER_MODEL):
                assert 'model=~"$model"' in expr, f"{title}: {expr}"
            if any(family in expr for family in PER_SCORE):
                assert 'name=~"$score"' in expr, f"{title}: {expr}"


def test_score_picker_offers_only_scores_with_an_average() -> None:
    score = next(v for v in _dashboard()["templating"]["list"] if v["name"] == "score")

    assert score["query"] == (
        'label_values(llmon_langfuse_scores_total{job=~"$job", instance=~"$instance", '
        'data_type=~"NUMERIC|BOOLEAN"}, name)'
    )
    assert (score["includeAll"], score["allValue"]) == (True, ".*")


def test_money_is_drawn_in_usd() -> None:
    panels = _panels()
    money = {title for title, panel in panels.items() if any("cost" in expr for expr in _expressions(panel))}

    assert money == {"Cost per hour", "Cost per model", "Cost per 1k requests"}
    assert {panels[title]["fieldConfig"]["defaults"]["unit"] for title in money} == {"currencyUSD"}
