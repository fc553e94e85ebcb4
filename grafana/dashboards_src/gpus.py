"""The "GPUs" dashboard: per-GPU load, memory, thermals, power and errors, and who uses each GPU.

Every value metric carries only ``gpu`` and ``uuid``; names and models come from ``llmon_gpu_info``.
The energy cost uses the ``price`` variable (currency per kWh) so an operator sees what the fleet draws.

Fleet-wide panels come first; the per-GPU panels sit in one row repeated over the multi-value ``gpu``
variable, so each selected GPU gets its own row of load, memory, thermals, power, clocks and clock event
reasons. The JSON holds the row once (Grafana clones it per value when the dashboard opens), so the
panel queries still keep ``gpu=~"$gpu"`` and the integration test runs them with every GPU selected.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dashboard_builders

from grafana.dashboards_src.common import (
    HIGH_IS_BAD,
    UP_DOWN,
    DashboardModel,
    Query,
    Section,
    dashboard,
    dashboard_models,
    label_values,
    query_variable,
    rate,
    scope_variables,
    selector,
    stat_panel,
    state_timeline_panel,
    table_panel,
    timeseries_panel,
)

UID = "llmon-gpus"
TITLE = "GPUs"
GPU = 'gpu=~"$gpu"'
JOULES_PER_KWH = 3.6e6
LEGEND = "{{instance}} GPU {{gpu}}"
SLOWDOWN = 'threshold="slowdown"'
SM_CLOCK = 'clock="sm"'
# Idle is the normal state of an unused GPU, not a slowdown anyone needs to see.
NOT_IDLE = 'reason!="gpu_idle"'
VOLATILE = 'counter="volatile"'
PER_GPU_ROW = "GPU $gpu"


def _g(metric: str, *extra: str) -> str:
    return selector(metric, GPU, *extra)


def _overview() -> Section:
    return Section(
        "Overview",
        [
            stat_panel(
                "GPUs up",
                description="1 when the GPU answers NVML; 0 when lost (XID 79) or gone since last seen.",
                unit="none",
                queries=[Query(_g("llmon_gpu_up"), LEGEND, instant=True)],
                steps=UP_DOWN,
                value_names={"0": ("Lost", "red"), "1": ("Up", "green")},
                width=8,
            ),
            stat_panel(
                "Fleet utilisation",
                description="Mean share of time a kernel ran, over the selected GPUs.",
                unit="percentunit",
                queries=[Query(f"avg({_g('llmon_gpu_utilization_ratio')})", "fleet", instant=True)],
                min_value=0,
                max_value=1,
                width=8,
            ),
            stat_panel(
                "Energy cost per day",
                description="A day at the current draw, priced with the price per kWh variable.",
                unit="none",
                queries=[
                    Query(
                        f"sum({rate('llmon_gpu_energy_joules_total', GPU)}) * 86400 / {JOULES_PER_KWH:g}"
                        " * $price",
                        "per day",
                        instant=True,
                    )
                ],
                width=8,
            ),
        ],
    )


def _workloads() -> Section:
    return Section(
        "Workloads and energy",
        [
            timeseries_panel(
                "GPU memory by container",
                description="GPU memory held by each container, or by the systemd unit outside containers.",
                unit="bytes",
                queries=[
                    Query(
                        f"{_g('llmon_gpu_container_memory_bytes')} or {_g('llmon_gpu_unit_memory_bytes')}",
                        "{{instance}} GPU {{gpu}} {{container}}{{unit}}",
                    )
                ],
                stacked=True,
            ),
            timeseries_panel(
                "Energy",
                description="Energy the GPUs used in each interval, from the driver's energy counter.",
                unit="kwatth",
                queries=[
                    Query(
                        f"sum by (instance) ({rate('llmon_gpu_energy_joules_total', GPU)}) / 3600000",
                        "{{instance}}",
                    )
                ],
            ),
        ],
    )


def _per_gpu() -> Section:
    """The row repeated for each selected GPU (see build): everything that is read per GPU."""
    return Section(
        PER_GPU_ROW,
        [
            timeseries_panel(
                "Utilisation",
                description="Share of time a kernel ran on the GPU (NVML utilization.gpu).",
                unit="percentunit",
                queries=[Query(_g("llmon_gpu_utilization_ratio"), LEGEND)],
                min_value=0,
                max_value=1,
                width=8,
            ),
            timeseries_panel(
                "Memory used",
                description="Device memory allocated as a share of the total.",
                unit="percentunit",
                queries=[
                    Query(
                        f"{_g('llmon_gpu_memory_used_bytes')} / {_g('llmon_gpu_memory_total_bytes')}", LEGEND
                    )
                ],
                steps=HIGH_IS_BAD,
                min_value=0,
                max_value=1,
                width=8,
            ),
            timeseries_panel(
                "Temperature vs slowdown threshold",
                description="Core temperature as a share of the temperature where the GPU slows itself down.",
                unit="percentunit",
                queries=[
                    Query(
                        f"{_g('llmon_gpu_temperature_celsius')} / on(job, instance, gpu, uuid) "
                        f"{_g('llmon_gpu_temperature_threshold_celsius', SLOWDOWN)}",
                        LEGEND,
                    )
                ],
                steps=((None, "green"), (0.9, "orange"), (0.97, "red")),
                min_value=0,
                max_value=1,
                width=8,
            ),
            timeseries_panel(
                "Power vs limit",
                description="Power draw as a share of the limit the driver enforces (capping shows as 100%).",
                unit="percentunit",
                queries=[
                    Query(
                        f"{_g('llmon_gpu_power_usage_watts')} / {_g('llmon_gpu_power_limit_watts')}", LEGEND
                    )
                ],
                steps=((None, "green"), (0.95, "orange")),
                min_value=0,
                max_value=1,
            ),
            timeseries_panel(
                "Clocks",
                description="SM clock as a share of its maximum; a drop under load means throttling.",
                unit="percentunit",
                queries=[
                    Query(
                        f"{_g('llmon_gpu_clock_hz', SM_CLOCK)} / {_g('llmon_gpu_clock_max_hz', SM_CLOCK)}",
                        LEGEND,
                    )
                ],
                min_value=0,
                max_value=1,
            ),
            state_timeline_panel(
                "Clock event reasons",
                description=(
                    "One lane per reason the driver holds clocks down (thermal, power cap, HW slowdown, "
                    "sync boost, ...), red while active. Idle is left out: it is how an unused GPU rests."
                ),
                unit="none",
                queries=[
                    Query(
                        _g("llmon_gpu_clock_event_active", NOT_IDLE),
                        "{{instance}} GPU {{gpu}} {{reason}}",
                    )
                ],
                value_names={"0": ("inactive", "transparent"), "1": ("active", "red")},
            ),
        ],
    )


def _errors() -> Section:
    return Section(
        "Errors and partitions",
        [
            table_panel(
                "XID errors",
                description="XID codes each GPU reported since the exporter started, and when last seen.",
                unit="dateTimeFromNow",
                queries=[
                    Query(_g("llmon_gpu_xid_last_timestamp_seconds") + " * 1000", instant=True, table=True)
                ],
                hidden_columns=("Time", "__name__"),
                width=12,
            ),
            timeseries_panel(
                "ECC errors",
                description="ECC memory errors per second by type; uncorrected ones need a GPU reset.",
                unit="cps",
                queries=[
                    Query(
                        rate("llmon_gpu_ecc_errors_total", GPU, VOLATILE),
                        "{{instance}} GPU {{gpu}} {{type}}",
                    )
                ],
                width=12,
            ),
            table_panel(
                "MIG instances",
                description="MIG GPU instances of each GPU with their profile and memory used.",
                unit="bytes",
                queries=[
                    Query(
                        f"{_g('llmon_gpu_mig_memory_used_bytes')}"
                        " * on(job, instance, gpu, uuid, gpu_instance_id) "
                        f"group_left(profile, mig_uuid) {_g('llmon_gpu_mig_info')}",
                        instant=True,
                        table=True,
                    )
                ],
                hidden_columns=("Time", "__name__"),
            ),
        ],
    )


def _price_variable() -> dashboard_builders.TextBoxVariable:
    return dashboard_builders.TextBoxVariable("price").label("Price per kWh").default_value("0.15")


def build() -> DashboardModel:
    """The GPUs dashboard model."""
    model = dashboard(
        uid=UID,
        title=TITLE,
        description="NVIDIA GPUs of llmon servers: load, memory, thermals, power, errors, MIG and workloads.",
        variables=[
            *scope_variables("llmon_gpu_info", job="llmon-gpu"),
            query_variable("gpu", label="GPU", query=label_values("llmon_gpu_info", "gpu"), include_all=True),
            _price_variable(),  # type: ignore[list-item] # a text box: the SDK types only query variables
        ],
        sections=[_overview(), _workloads(), _per_gpu(), _errors()],
    )
    for panel in model.panels or []:
        if isinstance(panel, dashboard_models.RowPanel) and panel.title == PER_GPU_ROW:
            panel.repeat = "gpu"  # the row builder of common.dashboard knows no repeat
    return model
