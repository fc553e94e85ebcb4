"""Shared builders for every llmon dashboard.

Each helper makes the house rules impossible to forget: panels cannot be built without a unit
and a description, every query goes to the ``${datasource}`` variable, and every dashboard
gets the same variables, tags, links and time settings. The dashboard modules then only say
*what* to show.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Required, TypedDict, TypeVar, Unpack

with warnings.catch_warnings():
    # The SDK nudges towards the v2 (Kubernetes-style) schema, which file provisioning cannot
    # load; the classic schema is the one we want, so its deprecation notice is noise here.
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders import bargauge, stat, statetimeline, table, timeseries
    from grafana_foundation_sdk.builders import common as common_builders
    from grafana_foundation_sdk.builders import dashboard as dashboard_builders
    from grafana_foundation_sdk.builders import prometheus as prometheus_builders
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models import common as common_models
    from grafana_foundation_sdk.models import dashboard as dashboard_models
    from grafana_foundation_sdk.models import prometheus as prometheus_models

DATASOURCE_VARIABLE = "${datasource}"
PROVISIONED_PROMETHEUS_UID = "prometheus"  # fixed uid in provisioning/datasources/datasources.yml
TAGS = ["llmon"]
# The two matchers every query carries so the job and host pickers filter every panel.
SCOPE = 'job=~"$job", instance=~"$instance"'
RATE_WINDOW = "[$__rate_interval]"

DashboardModel = dashboard_models.Dashboard
PROMETHEUS = common_models.DataSourceRef(type_val="prometheus", uid=DATASOURCE_VARIABLE)

# Reusable threshold ladders: (lower bound or None for -inf, colour).
Steps = Sequence[tuple[float | None, str]]
HIGH_IS_BAD: Steps = ((None, "green"), (0.8, "orange"), (0.9, "red"))
LOW_IS_BAD: Steps = ((None, "red"), (0.1, "orange"), (0.2, "green"))
UP_DOWN: Steps = ((None, "red"), (1, "green"))
NEUTRAL: Steps = ((None, "green"),)

PanelBuilder = timeseries.Panel | stat.Panel | bargauge.Panel | table.Panel | statetimeline.Panel
P = TypeVar("P", timeseries.Panel, stat.Panel, bargauge.Panel, table.Panel, statetimeline.Panel)


def selector(metric: str, *extra_matchers: str) -> str:
    """``metric{job=~"$job", instance=~"$instance", <extra>}``: every query starts here."""
    return f"{metric}{{{', '.join((SCOPE, *extra_matchers))}}}"


def rate(metric: str, *extra_matchers: str) -> str:
    """``rate(<selector>[$__rate_interval])``: the only way a counter may appear on a panel."""
    return f"rate({selector(metric, *extra_matchers)}{RATE_WINDOW})"


@dataclass(frozen=True)
class Query:
    """One panel target: the PromQL, its legend, instant or range, and table format or not."""

    expr: str
    legend: str = ""
    instant: bool = False
    table: bool = False


QUANTILES = (0.5, 0.9, 0.99)


def percentile_queries(histogram: str, *matchers: str) -> list[Query]:
    """p50, p90 and p99 of a histogram's buckets summed over every other label, one query each."""
    buckets = f"sum by (le) (rate({selector(histogram + '_bucket', *matchers)}{RATE_WINDOW}))"
    return [Query(f"histogram_quantile({q}, {buckets})", f"p{round(q * 100)}") for q in QUANTILES]


@dataclass(frozen=True)
class Section:
    """A dashboard row: its title and the panels below it, left to right."""

    title: str
    panels: list[PanelBuilder]


def _target(query: Query, ref_id: str) -> prometheus_builders.Dataquery:
    target = (
        prometheus_builders.Dataquery()
        .datasource(PROMETHEUS)
        .expr(query.expr)
        .ref_id(ref_id)
        .legend_format(query.legend or "__auto")
    )
    if query.table:
        target = target.format(prometheus_models.PromQueryFormat.TABLE)
    return target.instant() if query.instant else target.range()


def thresholds(steps: Steps) -> dashboard_builders.ThresholdsConfig:
    """An absolute threshold ladder: for a panel, or ``.build()`` it for a field override."""
    return (
        dashboard_builders.ThresholdsConfig()
        .mode(dashboard_models.ThresholdsMode.ABSOLUTE)
        .steps([dashboard_models.Threshold(value=value, color=color) for value, color in steps])
    )


class PanelOptions(TypedDict, total=False):
    """Keywords every panel builder takes: text and queries are mandatory, the size has a default."""

    description: Required[str]
    unit: Required[str]
    queries: Required[Sequence[Query]]
    width: int
    height: int


class ScaledPanelOptions(PanelOptions, total=False):
    """Plus the threshold ladder and axis bounds of panels that draw values against a scale."""

    steps: Steps
    min_value: float | None
    max_value: float | None


Options = TypeVar("Options", bound=PanelOptions)


def _common(
    panel: P,
    title: str,
    *,
    description: str,
    unit: str,
    queries: Sequence[Query],
    width: int,
    height: int,
    steps: Steps = NEUTRAL,
    min_value: float | None = None,
    max_value: float | None = None,
) -> P:
    """Apply what every panel shares; the keyword-only signature makes unit and text mandatory."""
    if not description.strip():
        raise ValueError(f"panel {title!r} needs a description")
    panel = (
        panel.title(title)
        .description(description)
        .unit(unit)
        .datasource(PROMETHEUS)
        .span(width)
        .height(height)
        .thresholds(thresholds(steps))
        .targets([_target(query, chr(ord("A") + i)) for i, query in enumerate(queries)])
    )
    if min_value is not None:
        panel = panel.min(min_value)
    if max_value is not None:
        panel = panel.max(max_value)
    return panel


def _sized(options: Options, width: int, height: int) -> Options:
    """``options`` with the panel kind's default size filled in where the caller gave none."""
    options.setdefault("width", width)
    options.setdefault("height", height)
    return options


def timeseries_panel(
    title: str,
    *,
    stacked: bool = False,
    negative_y: str | None = None,
    **options: Unpack[ScaledPanelOptions],
) -> timeseries.Panel:
    """A time series (12x8 unless sized); ``negative_y`` is a regex of series drawn below the axis."""
    panel = _common(timeseries.Panel(), title, **_sized(options, 12, 8))
    panel = (
        panel.fill_opacity(20 if stacked else 10)
        .line_width(1)
        .show_points(common_models.VisibilityMode.NEVER)
        .legend(
            common_builders.VizLegendOptions()
            .show_legend(True)
            .display_mode(common_models.LegendDisplayMode.TABLE)
            .placement(common_models.LegendPlacement.BOTTOM)
            .calcs(["mean", "max", "lastNotNull"])
        )
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(common_models.TooltipDisplayMode.MULTI)
            .sort(common_models.SortOrder.DESCENDING)
        )
    )
    if options.get("steps", NEUTRAL) is not NEUTRAL:  # a real ladder is drawn as dashed lines
        panel = panel.thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(common_models.GraphThresholdsStyleMode.DASHED)
        )
    if stacked:
        panel = panel.stacking(common_builders.StackingConfig().mode(common_models.StackingMode.NORMAL))
    if negative_y is not None:
        panel = panel.override_by_regexp(
            negative_y, [dashboard_models.DynamicConfigValue(id_val="custom.transform", value="negative-Y")]
        )
    return panel


def value_mapping(value_names: dict[str, tuple[str, str]]) -> dashboard_models.ValueMap:
    """Raw values shown as (text, colour), in the order given: ``{"1": ("Up", "green")}``."""
    return dashboard_models.ValueMap(
        options={
            raw: dashboard_models.ValueMappingResult(text=text, color=color, index=index)
            for index, (raw, (text, color)) in enumerate(value_names.items())
        }
    )


def _last_value() -> common_builders.ReduceDataOptions:
    """Each series reduced to its last non-null value: one tile or bar per series."""
    return common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def stat_panel(
    title: str,
    *,
    value_names: dict[str, tuple[str, str]] | None = None,
    **options: Unpack[ScaledPanelOptions],
) -> stat.Panel:
    """A single-value tile per series (6x4 unless sized); ``value_names`` as in :func:`value_mapping`."""
    panel = (
        _common(stat.Panel(), title, **_sized(options, 6, 4))
        .reduce_options(_last_value())
        .graph_mode(common_models.BigValueGraphMode.NONE)
        .color_mode(common_models.BigValueColorMode.VALUE)
        .text_mode(common_models.BigValueTextMode.AUTO)
    )
    if value_names:
        panel = panel.mappings([value_mapping(value_names)])
    return panel


def state_timeline_panel(
    title: str,
    *,
    value_names: dict[str, tuple[str, str]],
    **options: Unpack[ScaledPanelOptions],
) -> statetimeline.Panel:
    """One lane per series, coloured by state (24x8 unless sized): made for on/off flags over time.

    ``value_names`` (as in :func:`value_mapping`) is mandatory: a lane of raw 0/1 numbers says nothing.
    """
    return (
        _common(statetimeline.Panel(), title, **_sized(options, 24, 8))
        .mappings([value_mapping(value_names)])
        .merge_values(True)
        .show_value(common_models.VisibilityMode.NEVER)
        .line_width(0)
        .fill_opacity(80)
    )


def bargauge_panel(title: str, **options: Unpack[ScaledPanelOptions]) -> bargauge.Panel:
    """Horizontal bars, one per series (12x8 unless sized): made for "how full is each filesystem"."""
    return (
        _common(bargauge.Panel(), title, **_sized(options, 12, 8))
        .reduce_options(_last_value())
        .orientation(common_models.VizOrientation.HORIZONTAL)
        .display_mode(common_models.BarGaugeDisplayMode.GRADIENT)
        .show_unfilled(True)
    )


def table_panel(
    title: str,
    *,
    hidden_columns: Sequence[str] = ("Time", "Value"),
    **options: Unpack[PanelOptions],
) -> table.Panel:
    """A table of label sets from instant queries (build info and the like), 24x6 unless sized."""
    return _common(table.Panel(), title, **_sized(options, 24, 6)).with_transformation(
        dashboard_models.DataTransformerConfig(
            id_val="organize",
            options={"excludeByName": dict.fromkeys(hidden_columns, True)},
        )
    )


def datasource_variable() -> dashboard_builders.DatasourceVariable:
    """The ``datasource`` picker, preset to the provisioned Prometheus."""
    return (
        dashboard_builders.DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .current(
            dashboard_models.VariableOption(
                selected=True, text="Prometheus", value=PROVISIONED_PROMETHEUS_UID
            )
        )
    )


def query_variable(
    name: str,
    *,
    label: str,
    query: str,
    include_all: bool,
    all_value: str | None = None,
    current: str | None = None,
) -> dashboard_builders.QueryVariable:
    """A ``label_values`` picker refreshed on time change (dashboard-linter's reload rule)."""
    variable = (
        dashboard_builders.QueryVariable(name)
        .label(label)
        .datasource(PROMETHEUS)
        .query(query)
        .definition(query)
        .refresh(dashboard_models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dashboard_models.VariableSort.ALPHABETICAL_ASC)
        .include_all(include_all)
        .multi(include_all)
    )
    if all_value is not None:
        variable = variable.all_value(all_value)
    if include_all:
        variable = variable.current(
            dashboard_models.VariableOption(selected=True, text="All", value="$__all")
        )
    elif current is not None:
        variable = variable.current(
            dashboard_models.VariableOption(selected=True, text=current, value=current)
        )
    return variable


def label_values(metric: str, label: str, *extra_matchers: str) -> str:
    """``label_values(<selector>, label)``: the values of ``label`` under the picked job and host."""
    return f"label_values({selector(metric, *extra_matchers)}, {label})"


Variable = dashboard_builders.QueryVariable | dashboard_builders.DatasourceVariable


def scope_variables(
    metric: str,
    *,
    job: str,
    instance_label: str = "Host",
    all_jobs: bool = False,
) -> list[Variable]:
    """The datasource, ``job`` and ``instance`` pickers every dashboard opens with.

    Both pickers list the labels of ``metric``, a series each target of the dashboard always has.
    ``job`` is the job preselected, or with ``all_jobs`` the regex of jobs that "All" stands for
    (jobs outside it are never offered). ``instance`` offers every host of the picked job.
    """
    if all_jobs:
        job_variable = query_variable(
            "job",
            label="Job",
            query=f'label_values({metric}{{job=~"{job}"}}, job)',
            include_all=True,
            all_value=job,
        )
    else:
        job_variable = query_variable(
            "job", label="Job", query=f"label_values({metric}, job)", include_all=False, current=job
        )
    return [
        datasource_variable(),
        job_variable,
        query_variable(
            "instance",
            label=instance_label,
            query=f'label_values({metric}{{job=~"$job"}}, instance)',
            include_all=True,
        ),
    ]


def dashboard(
    *,
    uid: str,
    title: str,
    description: str,
    variables: Sequence[Variable],
    sections: Sequence[Section],
) -> DashboardModel:
    """Assemble a dashboard with the house settings and number its panels.

    Rows are left expanded with their panels *after* them at the top level: that is how
    Grafana stores an open row (panels nested inside a row only show when it is collapsed).
    """
    builder = (
        dashboard_builders.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(TAGS)
        .readonly()
        .timezone("browser")
        .refresh("30s")
        .time("now-1h", "now")
        .tooltip(dashboard_models.DashboardCursorSync.CROSSHAIR)
        .link(
            dashboard_builders.DashboardLink("llmon dashboards")
            .type(dashboard_models.DashboardLinkType.DASHBOARDS)
            .tags(TAGS)
            .as_dropdown(False)
            .keep_time(True)
            .include_vars(False)
        )
    )
    for variable in variables:
        builder = builder.with_variable(variable)
    for section in sections:
        builder = builder.with_row(dashboard_builders.Row(section.title))
        for panel in section.panels:
            builder = builder.with_panel(panel)
    model = builder.build()
    for panel_id, panel_model in enumerate(model.panels or [], start=1):
        panel_model.id_val = panel_id
    return model


def encode(model: DashboardModel) -> str:
    """Stable JSON text: sorted keys, two-space indent, trailing newline (clean diffs)."""
    text = JSONEncoder(sort_keys=True, indent=2).encode(model)
    # Round-trip through plain JSON so nested SDK objects and dicts sort the same way.
    return json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
