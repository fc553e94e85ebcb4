"""The Gateway and spend dashboard draws money as money: Grafana's currencyUSD unit on spend panels."""

from __future__ import annotations

import json
from typing import Any

from grafana import DASHBOARDS_DIR
from grafana.dashboards_src.lint import lint_dashboard
from grafana.dashboards_src.litellm import UID
from grafana.dashboards_src.queries import iter_panels

USD_UNIT = "currencyUSD"


def _dashboard() -> dict[str, Any]:
    return json.loads((DASHBOARDS_DIR / f"{UID}.json").read_text())


def _expressions(panel: dict[str, Any]) -> list[str]:
    return [target["expr"] for target in panel.get("targets", [])]


def _money_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Panels whose first query reads a USD series (spend, budgets): their default unit is money."""
    return [
        panel
        for panel in iter_panels(dashboard)
        if panel["type"] != "row"
        and _expressions(panel)
        and "_usd" in _expressions(panel)[0]
        and "utilisation" not in _expressions(panel)[0]
    ]


def test_every_spend_panel_uses_the_usd_unit() -> None:
    money = _money_panels(_dashboard())
    titles = {panel["title"] for panel in money}
    assert {"Spend today (USD)", "Spend per team", "Spend per model", "Spend today per team"} <= titles
    assert {"Top spending keys", "Team budgets", "Virtual key budgets"} <= titles
    wrong = {p["title"]: p["fieldConfig"]["defaults"].get("unit") for p in money}
    assert {title: unit for title, unit in wrong.items() if unit != USD_UNIT} == {}


def test_utilisation_panels_stay_ratios() -> None:
    """Spend over budget is a share, not money: the currency unit must not leak onto it."""
    panels = {p["title"]: p for p in iter_panels(_dashboard())}
    for title in ("Budget utilisation per team", "Budget utilisation per key"):
        assert panels[title]["fieldConfig"]["defaults"]["unit"] == "percentunit"


def test_the_lint_accepts_the_currency_unit_and_refuses_a_made_up_one() -> None:
    dashboard = _dashboard()
    assert [v for v in lint_dashboard(dashboard, UID) if v.rule == "panel-units-rule"] == []
    panel = next(iter(_money_panels(dashboard)))
    panel["fieldConfig"]["defaults"]["unit"] = "currencyUSDollars"
    refused = [v for v in lint_dashboard(dashboard, UID) if v.rule == "panel-units-rule"]
    assert [v.panel for v in refused] == [panel["title"]]
