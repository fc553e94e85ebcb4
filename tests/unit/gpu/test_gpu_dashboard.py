"""The GPUs dashboard: one row repeated per selected GPU, clock event reasons as a state timeline."""

from __future__ import annotations

import json
from typing import Any

from grafana import DASHBOARDS_DIR
from grafana.dashboards_src.gpus import PER_GPU_ROW, UID
from grafana.dashboards_src.queries import DEFAULT_VALUES, iter_dashboard_queries, substitute_variables

PER_GPU_PANELS = {
    "Utilisation",
    "Memory used",
    "Temperature vs slowdown threshold",
    "Power vs limit",
    "Clocks",
    "Clock event reasons",
}


def _dashboard() -> dict[str, Any]:
    return json.loads((DASHBOARDS_DIR / f"{UID}.json").read_text())


def _rows(dashboard: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Row title -> the panels after it up to the next row: what an open row holds (and repeats)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    current: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            current = rows.setdefault(panel["title"], [])
        else:
            current.append(panel)
    return rows


def test_the_per_gpu_row_repeats_over_the_multi_value_gpu_variable() -> None:
    dashboard = _dashboard()
    [row] = [p for p in dashboard["panels"] if p["type"] == "row" and p.get("repeat")]
    gpu = next(v for v in dashboard["templating"]["list"] if v["name"] == "gpu")

    assert (row["title"], row["repeat"]) == (PER_GPU_ROW, "gpu")
    assert "$gpu" in row["title"]  # each copy is titled with its GPU
    assert gpu["multi"] is True and gpu["includeAll"] is True  # Grafana repeats only over multi-value
    assert {p["title"] for p in _rows(dashboard)[PER_GPU_ROW]} == PER_GPU_PANELS


def test_panels_of_the_repeated_row_select_their_gpu() -> None:
    """Inside a copy of the row $gpu is that one GPU, so every query must filter on it."""
    panels = _rows(_dashboard())[PER_GPU_ROW]
    expressions = [target["expr"] for panel in panels for target in panel["targets"]]

    assert expressions
    assert all('gpu=~"$gpu"' in expr for expr in expressions)


def test_queries_of_the_repeated_row_are_listed_for_execution_with_every_gpu() -> None:
    """The integration test executes what iter_dashboard_queries lists; with the default values $gpu is
    every GPU, so the single stored copy of the row proves the queries of all its clones."""
    listed = {title: expr for uid, title, expr in iter_dashboard_queries(DASHBOARDS_DIR) if uid == UID}

    assert set(listed) >= PER_GPU_PANELS
    clock_events = substitute_variables(listed["Clock event reasons"], DEFAULT_VALUES)
    assert clock_events == (
        'llmon_gpu_clock_event_active{job=~".*", instance=~".*", gpu=~".*", reason!="gpu_idle"}'
    )


def test_clock_event_reasons_is_a_state_timeline_with_one_lane_per_reason() -> None:
    panel = next(p for p in _dashboard()["panels"] if p["title"] == "Clock event reasons")
    [mapping] = panel["fieldConfig"]["defaults"]["mappings"]

    assert panel["type"] == "state-timeline"
    assert "{{reason}}" in panel["targets"][0]["legendFormat"]  # a lane per (GPU, reason) series
    assert {raw: result["text"] for raw, result in mapping["options"].items()} == {
        "0": "inactive",
        "1": "active",
    }
    assert mapping["options"]["1"]["color"] == "red"
