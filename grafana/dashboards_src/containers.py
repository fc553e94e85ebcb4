"""The "Containers" dashboard: every Docker container's state, health, restarts, GPUs and resource use.

Built from the container exporter (exporters/container). Series carry only ``name`` and ``id``;
state, health and GPUs are one series per value, so the overview table shows the value that is 1.
Restart and OOM events are drawn as annotations on every time series.
"""

from __future__ import annotations

from grafana.dashboards_src.common import (
    HIGH_IS_BAD,
    PROMETHEUS,
    RATE_WINDOW,
    DashboardModel,
    Query,
    Section,
    dashboard,
    dashboard_builders,
    label_values,
    query_variable,
    rate,
    scope_variables,
    selector,
    stat_panel,
    table_panel,
    timeseries_panel,
)
from grafana.dashboards_src.common import dashboard_models as models

UID = "llmon-containers"
TITLE = "Containers"
NAME = 'name=~"$name"'
BY_NAME = "{{name}}"
THROTTLE_STEPS = ((None, "green"), (0.1, "orange"), (0.25, "red"))
COUNT_BAD = ((None, "green"), (1, "red"))
RUNNING = 'state="running"'
HEALTHY = 'status="healthy"'
OOM = 'event="oom"'
LIFECYCLE_EVENTS = 'event=~"oom|die|start"'


def _sel(metric: str, *extra: str) -> str:
    return selector(metric, NAME, *extra)


def _rate(metric: str, *extra: str) -> str:
    return rate(metric, NAME, *extra)


def _overview() -> Section:
    table = table_panel(
        "Containers",
        description="Each container's state, health check, uptime, restart count and the GPUs it was given.",
        unit="none",
        queries=[
            Query(
                f"max by (instance, name, state) ({_sel('llmon_container_state')} == 1)",
                instant=True,
                table=True,
            ),
            Query(
                f"max by (instance, name, status) ({_sel('llmon_container_health_status')} == 1)",
                instant=True,
                table=True,
            ),
            Query(
                f"max by (instance, name) (time() - {_sel('llmon_container_start_time_seconds')})",
                instant=True,
                table=True,
            ),
            Query(
                f"max by (instance, name) ({_sel('llmon_container_restarts')})",
                instant=True,
                table=True,
            ),
            Query(
                f"count by (instance, name) ({_sel('llmon_container_gpu_info')})", instant=True, table=True
            ),
        ],
        hidden_columns=("Time",),
        height=9,
    ).with_transformation(models.DataTransformerConfig(id_val="merge", options={}))
    tiles = [
        stat_panel(
            "Running",
            description="Containers in the running state.",
            unit="none",
            queries=[Query(f"sum({_sel('llmon_container_state', RUNNING)})", instant=True)],
        ),
        stat_panel(
            "Not healthy",
            description="Containers with a health check that does not report healthy right now.",
            unit="none",
            queries=[Query(f"sum(1 - {_sel('llmon_container_health_status', HEALTHY)})", instant=True)],
            steps=COUNT_BAD,
        ),
        stat_panel(
            "Restarts",
            description="Restarts by Docker of the selected containers since their creation (RestartCount).",
            unit="none",
            queries=[Query(f"sum({_sel('llmon_container_restarts')})", instant=True)],
            steps=COUNT_BAD,
        ),
        stat_panel(
            "OOM kills",
            description="OOM kills (Docker oom events) in the last rate interval; annotations mark each.",
            unit="none",
            queries=[
                Query(
                    f"sum(increase({_sel('llmon_container_events_total', OOM)}{RATE_WINDOW}))", instant=True
                )
            ],
            steps=COUNT_BAD,
        ),
    ]
    return Section("Overview", [table, *tiles])


def _cpu() -> Section:
    throttled = _rate("llmon_container_cpu_cfs_throttled_periods_total")
    periods = _rate("llmon_container_cpu_cfs_periods_total")
    return Section(
        "CPU",
        [
            timeseries_panel(
                "CPU usage",
                description="CPU cores each container uses (CPU seconds per second, all CPUs).",
                unit="short",
                queries=[Query(_rate("llmon_container_cpu_usage_seconds_total"), BY_NAME)],
                min_value=0,
            ),
            timeseries_panel(
                "CPU throttling",
                description="Share of CFS periods in which a container with a CPU quota was throttled.",
                unit="percentunit",
                queries=[Query(f"{throttled} / {periods}", BY_NAME)],
                steps=THROTTLE_STEPS,
                min_value=0,
                max_value=1,
            ),
        ],
    )


def _memory() -> Section:
    return Section(
        "Memory",
        [
            timeseries_panel(
                "Memory working set",
                description="Memory usage minus inactive page cache, as docker stats shows it.",
                unit="bytes",
                queries=[Query(_sel("llmon_container_memory_working_set_bytes"), BY_NAME)],
                min_value=0,
            ),
            timeseries_panel(
                "Memory vs limit",
                description="Working set as a share of the memory limit; at 1 the OOM killer acts.",
                unit="percentunit",
                queries=[
                    Query(
                        f"{_sel('llmon_container_memory_working_set_bytes')} / "
                        f"{_sel('llmon_container_memory_limit_bytes')}",
                        BY_NAME,
                    )
                ],
                steps=HIGH_IS_BAD,
                min_value=0,
                max_value=1,
            ),
        ],
    )


def _io() -> Section:
    return Section(
        "Network and disk",
        [
            timeseries_panel(
                "Network traffic",
                description="Bytes per second received (up) and sent (down) per container, all interfaces.",
                unit="Bps",
                queries=[
                    Query(
                        f"sum by (name) ({_rate('llmon_container_network_receive_bytes_total')})",
                        "{{name}} rx",
                    ),
                    Query(
                        f"sum by (name) ({_rate('llmon_container_network_transmit_bytes_total')})",
                        "{{name}} tx",
                    ),
                ],
                negative_y=".* tx$",
            ),
            timeseries_panel(
                "Block I/O",
                description="Bytes per second read (up) and written (down) per container on block devices.",
                unit="Bps",
                queries=[
                    Query(_rate("llmon_container_blkio_read_bytes_total"), "{{name}} read"),
                    Query(_rate("llmon_container_blkio_write_bytes_total"), "{{name}} write"),
                ],
                negative_y=".* write$",
            ),
        ],
    )


def _events_annotation() -> dashboard_builders.AnnotationQuery:
    """Restarts and OOM kills as annotations: any change of the event counters within a step."""
    expr = f"increase({_sel('llmon_container_events_total', LIFECYCLE_EVENTS)}[2m]) > 0"
    return (
        dashboard_builders.AnnotationQuery()
        .name("Container events")
        .datasource(PROMETHEUS)
        .enable(True)
        .icon_color("red")
        .expr(expr)
        .step("60s")
        .title_format("{{name}}: {{event}}")
        .text_format("{{event}} event of {{name}} on {{instance}}")
        .tag_keys("event,name")
    )


def build() -> DashboardModel:
    """The Containers dashboard model."""
    model = dashboard(
        uid=UID,
        title=TITLE,
        description="Docker containers: state, health, restarts, OOM kills, GPUs and resource use.",
        variables=[
            *scope_variables("llmon_container_info", job="llmon-container"),
            query_variable(
                "name",
                label="Container",
                query=label_values("llmon_container_info", "name"),
                include_all=True,
            ),
        ],
        sections=[_overview(), _cpu(), _memory(), _io()],
    )
    existing = model.annotations.list_val if model.annotations is not None else None
    model.annotations = models.AnnotationContainer(list_val=[*(existing or []), _events_annotation().build()])
    return model
