"""What the team agreed each dashboard shows, and the house settings every dashboard shares."""

from __future__ import annotations

from typing import Any

import pytest

from grafana.dashboards_src.queries import iter_panels

Dashboard = dict[str, Any]

# Panel titles fixed in the team brief: scenarios and the E2E tests name panels by them.
REQUIRED_TITLES = {
    "llmon-server-health": (
        "Server health",
        {
            "CPU utilisation", "Load per core", "Memory available", "Pressure stall (PSI)",
            "Filesystem used", "Filesystem free space", "Disk I/O", "Network traffic", "Temperatures",
            "Uptime",
        },
    ),
    "llmon-self": (
        "llmon self-monitoring",
        {
            "Exporter targets up", "Sources up", "Collect duration", "Collect errors", "Scrape duration",
            "Prometheus health",
        },
    ),
    "llmon-gpus": (
        "GPUs",
        {
            "GPUs up", "Utilisation", "Memory used", "GPU memory by container",
            "Temperature vs slowdown threshold", "Power vs limit", "Clocks", "Clock event reasons", "Energy",
            "XID errors", "ECC errors", "MIG instances",
        },
    ),
    "llmon-containers": (
        "Containers",
        {
            "Containers", "Running", "Not healthy", "Restarts", "OOM kills", "CPU usage", "CPU throttling",
            "Memory working set", "Memory vs limit", "Network traffic", "Block I/O",
        },
    ),
    "llmon-litellm": (
        "Gateway and spend",
        {
            "Gateway status", "Spend today (USD)", "Spend per team", "Spend per model",
            "Budget utilisation per team", "Budget utilisation per key", "Requests per model",
            "Tokens per model", "Failure ratio per provider", "Request latency percentiles",
            "Time to first token percentiles", "Deployment health", "Top spending keys",
        },
    ),
    "llmon-langfuse": (
        "Quality and cost",
        {
            "Langfuse status", "Generations over time", "Cost per model", "Cost per 1k requests",
            "Token usage", "Generation latency percentiles", "Time to first token percentiles",
            "Score averages vs 7-day baseline", "Error and warning observations", "Ingestion lag",
        },
    ),
    "llmon-vllm": (
        "LLM serving",
        {
            "Engines up", "Request rate", "Running vs waiting", "Token throughput", "Time to first token",
            "Inter-token latency", "End-to-end latency", "Time to first token heatmap",
            "Inter-token latency heatmap", "End-to-end latency heatmap", "KV cache usage",
            "Prefix cache hit ratio", "Preemptions", "Error ratio", "SLO burn rate", "Error budget remaining",
            "Model metadata",
        },
    ),
}  # fmt: skip


def _data_panels(dashboard: Dashboard) -> list[dict[str, Any]]:
    return [p for p in iter_panels(dashboard) if p["type"] != "row"]


def _variable(dashboard: Dashboard, name: str) -> dict[str, Any]:
    return next(v for v in dashboard["templating"]["list"] if v["name"] == name)


def test_exactly_the_agreed_dashboards_exist(committed_dashboards: dict[str, Dashboard]) -> None:
    assert {uid: d["title"] for uid, d in committed_dashboards.items()} == {
        uid: title for uid, (title, _) in REQUIRED_TITLES.items()
    }


@pytest.mark.parametrize("uid", sorted(REQUIRED_TITLES))
def test_dashboard_has_every_agreed_panel(committed_dashboards: dict[str, Dashboard], uid: str) -> None:
    titles = {p["title"] for p in _data_panels(committed_dashboards[uid])}

    assert REQUIRED_TITLES[uid][1] <= titles, REQUIRED_TITLES[uid][1] - titles


@pytest.mark.parametrize("uid", sorted(REQUIRED_TITLES))
def test_house_settings(committed_dashboards: dict[str, Dashboard], uid: str) -> None:
    dashboard = committed_dashboards[uid]

    assert "id" not in dashboard
    assert dashboard["tags"] == ["llmon"]
    assert dashboard["editable"] is False
    assert dashboard["timezone"] == "browser"
    assert dashboard["refresh"] == "30s"
    assert dashboard["time"] == {"from": "now-1h", "to": "now"}
    assert dashboard["graphTooltip"] == 1  # shared crosshair
    assert dashboard["schemaVersion"] == 42


def test_dashboards_link_to_each_other_by_tag(committed_dashboards: dict[str, Dashboard]) -> None:
    """A tag link lists every other llmon dashboard, so the two reach each other."""
    for dashboard in committed_dashboards.values():
        links = [link for link in dashboard["links"] if link["type"] == "dashboards"]
        assert [link["tags"] for link in links] == [["llmon"]]
        assert links[0]["keepTime"] is True
    assert all("llmon" in d["tags"] for d in committed_dashboards.values())


@pytest.mark.parametrize("uid", sorted(REQUIRED_TITLES))
def test_rows_are_open_with_panels_at_top_level(committed_dashboards: dict[str, Dashboard], uid: str) -> None:
    """Grafana only shows panels nested in a row when the row is collapsed; ours must all show."""
    rows = [p for p in committed_dashboards[uid]["panels"] if p["type"] == "row"]

    assert rows
    assert all(row["collapsed"] is False and row["panels"] == [] for row in rows)


def test_ratio_panels_are_bounded_zero_to_one(committed_dashboards: dict[str, Dashboard]) -> None:
    ratios = [
        (p["title"], p["fieldConfig"]["defaults"])
        for d in committed_dashboards.values()
        for p in _data_panels(d)
        if p["fieldConfig"]["defaults"]["unit"] == "percentunit"
    ]

    assert len(ratios) >= 7
    for title, defaults in ratios:
        assert (defaults.get("min"), defaults.get("max")) == (0, 1), title
        assert len(defaults["thresholds"]["steps"]) >= 1, title


def test_threshold_steps_ascend_from_minus_infinity(committed_dashboards: dict[str, Dashboard]) -> None:
    for dashboard in committed_dashboards.values():
        for panel in _data_panels(dashboard):
            steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
            assert steps[0]["value"] is None, panel["title"]
            values = [step["value"] for step in steps[1:]]
            assert values == sorted(values), panel["title"]


def test_server_health_pickers(committed_dashboards: dict[str, Dashboard]) -> None:
    dashboard = committed_dashboards["llmon-server-health"]
    job, instance = _variable(dashboard, "job"), _variable(dashboard, "instance")

    assert job["query"] == "label_values(node_uname_info, job)"
    assert job["current"]["value"] == "llmon-node"
    assert instance["label"] == "Host"
    assert instance["query"] == 'label_values(node_uname_info{job=~"$job"}, instance)'
    assert _variable(dashboard, "datasource")["current"]["value"] == "prometheus"


def test_self_monitoring_job_picker_covers_every_llmon_target(
    committed_dashboards: dict[str, Dashboard],
) -> None:
    job = _variable(committed_dashboards["llmon-self"], "job")

    assert job["query"] == 'label_values(up{job=~"llmon-.*"}, job)'
    assert (job["includeAll"], job["allValue"]) == (True, "llmon-.*")


def test_temperatures_keep_unlabelled_sensors(committed_dashboards: dict[str, Dashboard]) -> None:
    """Sensors without a driver label must still be drawn, so the label join is an ``or``."""
    panel = next(
        p for p in committed_dashboards["llmon-server-health"]["panels"] if p["title"] == "Temperatures"
    )
    expr = panel["targets"][0]["expr"]

    assert "group_left(label)" in expr
    assert " or on(job, instance, chip, sensor) node_hwmon_temp_celsius{" in expr
    assert panel["fieldConfig"]["defaults"]["unit"] == "celsius"
