"""The "llmon self-monitoring" dashboard: are the exporters and Prometheus themselves healthy?

Built from the self-metrics every llmon exporter serves (exporters.base) and the series
Prometheus records about its own scrapes, so a blank panel elsewhere can be traced to a down
target, a failing source or a struggling Prometheus.
"""

from __future__ import annotations

from grafana.dashboards_src.common import (
    RATE_WINDOW,
    UP_DOWN,
    DashboardModel,
    PanelBuilder,
    Query,
    Section,
    dashboard,
    rate,
    scope_variables,
    selector,
    stat_panel,
    table_panel,
    thresholds,
    timeseries_panel,
    value_mapping,
)
from grafana.dashboards_src.common import dashboard_models as models

UID = "llmon-self"
TITLE = "llmon self-monitoring"

# Prometheus scrapes itself under this fixed job (prometheus/prometheus.yml); its health is
# shown whatever exporter job is picked, which the lint exclusion in grafana/dashboards/.lint records.
PROMETHEUS_JOB = 'job="prometheus"'
UP_VALUES = {"1": ("Up", "green"), "0": ("Down", "red")}
RELOAD_VALUES = {"1": ("OK", "green"), "0": ("Failed", "red")}
# Any failure per second at all is red.
FAILURE_STEPS = ((None, "green"), (0.001, "red"))
# Defaults of --collect.timeout (10 s) and the scrape timeout: beyond them data goes missing.
DURATION_STEPS = ((None, "green"), (5, "orange"), (10, "red"))


def _up_tiles(title: str, description: str, metric: str, legend: str) -> PanelBuilder:
    """Half-width Up/Down tiles, one per series of a 0/1 health metric."""
    return stat_panel(
        title,
        description=description,
        unit="none",
        queries=[Query(selector(metric), legend, instant=True)],
        steps=UP_DOWN,
        value_names=UP_VALUES,
        width=12,
        height=5,
    )


def _targets() -> Section:
    return Section(
        "Targets",
        [
            _up_tiles(
                "Exporter targets up",
                "Whether Prometheus's last scrape of each llmon exporter succeeded.",
                "up",
                "{{job}} {{instance}}",
            ),
            _up_tiles(
                "Sources up",
                "Whether each exporter's last collection from its upstream source succeeded.",
                "llmon_exporter_up",
                "{{job}} {{source}}",
            ),
        ],
    )


def _collection() -> Section:
    return Section(
        "Collection",
        [
            timeseries_panel(
                "Collect duration",
                description="How long each source's last collection took; at the collect timeout it is cut.",
                unit="s",
                queries=[Query(selector("llmon_exporter_collect_duration_seconds"), "{{job}} {{source}}")],
                steps=DURATION_STEPS,
                min_value=0,
                width=8,
            ),
            timeseries_panel(
                "Collect errors",
                description="Failed collections per second by reason; Sources up shows which source fails.",
                unit="cps",
                queries=[
                    Query(
                        f"sum by (job, reason) ({rate('llmon_exporter_collect_errors_total')})",
                        "{{job}} {{reason}}",
                    )
                ],
                steps=FAILURE_STEPS,
                min_value=0,
                width=8,
            ),
            timeseries_panel(
                "Last success age",
                description="Seconds since each source last collected successfully; grows while it fails.",
                unit="s",
                queries=[
                    Query(
                        f"time() - {selector('llmon_exporter_last_success_timestamp_seconds')}",
                        "{{job}} {{source}}",
                    )
                ],
                steps=((None, "green"), (60, "orange"), (300, "red")),
                min_value=0,
                width=8,
            ),
        ],
    )


def _scrapes() -> Section:
    return Section(
        "Scrapes",
        [
            timeseries_panel(
                "Scrape duration",
                description="How long Prometheus took to scrape each exporter target.",
                unit="s",
                queries=[Query(selector("scrape_duration_seconds"), "{{job}} {{instance}}")],
                steps=DURATION_STEPS,
                min_value=0,
            ),
            timeseries_panel(
                "Samples scraped",
                description="Samples each exporter target exposed on its last scrape; jumps mean new series.",
                unit="short",
                queries=[Query(selector("scrape_samples_scraped"), "{{job}} {{instance}}")],
                min_value=0,
            ),
        ],
    )


def _prometheus(metric: str) -> str:
    return f"{metric}{{{PROMETHEUS_JOB}}}"


def _prometheus_health() -> PanelBuilder:
    failures = f"sum(rate({_prometheus('prometheus_rule_evaluation_failures_total')}{RATE_WINDOW}))"
    dropped = f"sum(rate({_prometheus('prometheus_notifications_dropped_total')}{RATE_WINDOW}))"
    per_second_failures = [
        models.DynamicConfigValue(id_val="unit", value="cps"),
        models.DynamicConfigValue(id_val="thresholds", value=thresholds(FAILURE_STEPS).build()),
    ]
    panel = stat_panel(
        "Prometheus health",
        description=(
            "Prometheus's own state: series in the head block, failing rule evaluations, "
            "alert notifications dropped and whether the last config reload worked."
        ),
        unit="short",
        queries=[
            Query(_prometheus("prometheus_tsdb_head_series"), "Head series", instant=True),
            Query(failures, "Rule evaluation failures", instant=True),
            Query(dropped, "Dropped notifications", instant=True),
            Query(_prometheus("prometheus_config_last_reload_successful"), "Config reload", instant=True),
        ],
        width=24,
    )
    return (
        panel.override_by_query("B", per_second_failures)
        .override_by_query("C", per_second_failures)
        .override_by_query(
            "D",
            [
                models.DynamicConfigValue(id_val="unit", value="none"),
                models.DynamicConfigValue(id_val="mappings", value=[value_mapping(RELOAD_VALUES)]),
            ],
        )
    )


def build() -> DashboardModel:
    """The llmon self-monitoring dashboard model."""
    return dashboard(
        uid=UID,
        title=TITLE,
        description="Health of llmon itself: exporter targets, sources, collection, scrapes, Prometheus.",
        # Targets rather than build info: a target that never came up has no build info
        # but is exactly what this dashboard must show.
        variables=scope_variables("up", job="llmon-.*", instance_label="Instance", all_jobs=True),
        sections=[
            _targets(),
            _collection(),
            _scrapes(),
            Section("Prometheus", [_prometheus_health()]),
            Section(
                "Build",
                [
                    table_panel(
                        "Exporter builds",
                        description="Version of each running llmon exporter (llmon_exporter_build_info).",
                        unit="none",
                        queries=[
                            Query(
                                selector("llmon_exporter_build_info"),
                                instant=True,
                                table=True,
                            )
                        ],
                        hidden_columns=("Time", "Value", "__name__"),
                    )
                ],
            ),
        ],
    )
