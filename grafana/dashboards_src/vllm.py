"""The "LLM serving" dashboard: vLLM engines' traffic, latency, KV cache, errors, SLOs and models.

Built from the vLLM exporter (exporters/vllm), which re-exposes every engine's ``vllm:*`` families
under their current V1 names with ``deployment`` added, so one dashboard works across vLLM versions.
Queries sum over ``engine`` (data-parallel ranks) so a deployment is one line. Latency percentiles
and the SLO panels read the recording rules of prometheus/rules/{recording,slo}-vllm.yml; the rest
reads the exporter directly with ``$__rate_interval``.

Every query has data on a healthy engine: vLLM creates its counters and histograms at start, the
error ratio counts a missing 5xx series as no errors, and model metadata comes from the exporter's
Hugging Face lookup (an offline cache in the demo).
"""

from __future__ import annotations

import warnings

from grafana.dashboards_src.common import (
    HIGH_IS_BAD,
    PROMETHEUS,
    RATE_WINDOW,
    UP_DOWN,
    DashboardModel,
    PanelBuilder,
    Query,
    Section,
    Steps,
    dashboard,
    label_values,
    prometheus_builders,
    prometheus_models,
    query_variable,
    rate,
    scope_variables,
    selector,
    stat_panel,
    table_panel,
    thresholds,
    timeseries_panel,
)
from grafana.dashboards_src.common import dashboard_models as models

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # see common.py: the classic schema is wanted
    from grafana_foundation_sdk.builders import heatmap
    from grafana_foundation_sdk.models import common as common_models
    from grafana_foundation_sdk.models import heatmap as heatmap_models

UID = "llmon-vllm"
TITLE = "LLM serving"
DEPLOYMENT = 'deployment=~"$deployment"'
MODEL = 'model_name=~"$model_name"'
BY_MODEL = "deployment, model_name"
MODEL_LEGEND = "{{deployment}} {{model_name}}"
COMPLETIONS = 'handler=~"/v1/(chat/)?completions"'
SERVER_ERROR = 'status="5xx"'
VLLM_SLOS = 'sloth_service="vllm"'
UP_VALUES = {"1": ("Up", "green"), "0": ("Down", "red")}
QUANTILE_LEGEND = "{{deployment}} p{{quantile}}"
KV_STEPS: Steps = ((None, "green"), (0.9, "orange"), (0.95, "red"))
ERROR_STEPS: Steps = ((None, "green"), (0.01, "orange"), (0.05, "red"))
# Burn-rate colours follow the alert factors: ticket from 1x, page from 6x (slo-vllm.yml).
BURN_STEPS: Steps = ((None, "green"), (1, "orange"), (6, "red"))
BUDGET_STEPS: Steps = ((None, "red"), (0.25, "orange"), (0.5, "green"))


def _model(metric: str, *extra: str) -> str:
    """A vLLM series under the pickers: job, exporter, deployment and model."""
    return selector(metric, DEPLOYMENT, MODEL, *extra)


def _model_rate(metric: str, *extra: str) -> str:
    return rate(metric, DEPLOYMENT, MODEL, *extra)


def _per_model(inner: str) -> str:
    return f"sum by ({BY_MODEL}) ({inner})"


def _overview() -> Section:
    http_total = rate("http_requests_total", DEPLOYMENT, COMPLETIONS)
    http_errors = rate("http_requests_total", DEPLOYMENT, COMPLETIONS, SERVER_ERROR)
    return Section(
        "Overview",
        [
            stat_panel(
                "Engines up",
                description="Whether the exporter's last scrape of each engine's /metrics succeeded and "
                "its /health answered 200 (0 while the model loads, after a crash, or while restarting).",
                unit="none",
                queries=[
                    Query(
                        f"min by (deployment) ({selector('llmon_vllm_up', DEPLOYMENT)})"
                        f" * min by (deployment) ({selector('llmon_vllm_healthy', DEPLOYMENT)})",
                        "{{deployment}}",
                        instant=True,
                    )
                ],
                steps=UP_DOWN,
                value_names=UP_VALUES,
                width=8,
            ),
            stat_panel(
                "Requests",
                description="Finished requests per second over the selected deployments and models.",
                unit="reqps",
                queries=[Query(f"sum({_model_rate('vllm:request_success_total')})", instant=True)],
                width=4,
            ),
            stat_panel(
                "Tokens generated",
                description="Output tokens per second over the selected deployments and models.",
                unit="short",
                queries=[Query(f"sum({_model_rate('vllm:generation_tokens_total')})", instant=True)],
                width=4,
            ),
            stat_panel(
                "Server error ratio",
                description="Share of the completion requests (/v1/completions, /v1/chat/completions) of "
                "the selected deployments answered with a 5xx.",
                unit="percentunit",
                queries=[
                    Query(f"(sum({http_errors}) or 0 * sum({http_total})) / sum({http_total})", instant=True)
                ],
                steps=ERROR_STEPS,
                min_value=0,
                max_value=1,
                width=4,
            ),
            stat_panel(
                "Waiting requests",
                description="Requests admitted but not yet scheduled, over the selected engines.",
                unit="none",
                queries=[Query(f"sum({_model('vllm:num_requests_waiting')})", instant=True)],
                steps=((None, "green"), (1, "orange"), (10, "red")),
                width=4,
            ),
        ],
    )


def _traffic() -> Section:
    return Section(
        "Traffic",
        [
            timeseries_panel(
                "Request rate",
                description="Finished requests per second per deployment and model, whatever the finish "
                "reason.",
                unit="reqps",
                queries=[Query(_per_model(_model_rate("vllm:request_success_total")), MODEL_LEGEND)],
                min_value=0,
            ),
            timeseries_panel(
                "Requests by finish reason",
                description="Finished requests per second by vLLM's finish reason: stop (end of sequence "
                "or stop string), length (max_tokens or context reached), abort (client gone or error).",
                unit="reqps",
                queries=[
                    Query(
                        f"sum by (finished_reason) ({_model_rate('vllm:request_success_total')})",
                        "{{finished_reason}}",
                    )
                ],
                stacked=True,
                min_value=0,
            ),
            timeseries_panel(
                "Running vs waiting",
                description="Requests in the running batch and requests queued for a slot (or KV-cache "
                "blocks), per deployment and model.",
                unit="none",
                queries=[
                    Query(_per_model(_model("vllm:num_requests_running")), MODEL_LEGEND + " running"),
                    Query(_per_model(_model("vllm:num_requests_waiting")), MODEL_LEGEND + " waiting"),
                ],
                min_value=0,
            ),
            timeseries_panel(
                "Token throughput",
                description="Prompt (prefill) tokens and generated tokens per second, per deployment and "
                "model; generated tokens are drawn below the axis.",
                unit="short",
                queries=[
                    Query(_per_model(_model_rate("vllm:prompt_tokens_total")), MODEL_LEGEND + " prompt"),
                    Query(
                        _per_model(_model_rate("vllm:generation_tokens_total")), MODEL_LEGEND + " generation"
                    ),
                ],
                negative_y=".* generation$",
            ),
        ],
    )


def _percentiles(title: str, metric: str, what: str) -> PanelBuilder:
    record = f"deployment_model_quantile:vllm_{metric}:histogram_quantile_rate5m"
    return timeseries_panel(
        title,
        description=f"p50, p95 and p99 of {what} per deployment over 5 minutes (recorded from vLLM's "
        "histogram, engines summed).",
        unit="s",
        queries=[Query(selector(record, DEPLOYMENT, MODEL), QUANTILE_LEGEND)],
        min_value=0,
        width=8,
    )


def heatmap_panel(title: str, *, description: str, metric: str) -> heatmap.Panel:
    """How many requests fell into each of vLLM's histogram buckets per interval (24x8 / 3 wide).

    Grafana draws the ``le`` buckets as rows as they come (``calculate`` off), so the boundaries are
    vLLM's own, and increase() per interval is what each cell counts.
    """
    if not description.strip():
        raise ValueError(f"panel {title!r} needs a description")
    target = (
        prometheus_builders.Dataquery()
        .datasource(PROMETHEUS)
        .expr(f"sum by (le) (increase({_model(metric + '_bucket')}{RATE_WINDOW}))")
        .ref_id("A")
        .legend_format("{{le}}")
        .format(prometheus_models.PromQueryFormat.HEATMAP)
        .range()
    )
    return (
        heatmap.Panel()
        .title(title)
        .description(description)
        .unit("short")
        .datasource(PROMETHEUS)
        .span(8)
        .height(8)
        .thresholds(thresholds(((None, "green"),)))
        .targets([target])
        .calculate(False)
        .rows_frame(heatmap.RowsHeatmapOptions().layout(common_models.HeatmapCellLayout.LE).value("Requests"))
        .y_axis(heatmap.YAxisConfig().unit("s").axis_placement(common_models.AxisPlacement.LEFT))
        .color(
            heatmap.HeatmapColorOptions()
            .mode(heatmap_models.HeatmapColorMode.SCHEME)
            .scheme("Oranges")
            .scale(heatmap_models.HeatmapColorScale.EXPONENTIAL)
            .exponent(0.5)
            .fill("dark-orange")
            .steps(64)
        )
        .cell_gap(1)
        .show_legend()
        .tooltip(heatmap.HeatmapTooltip().mode(common_models.TooltipDisplayMode.SINGLE).y_histogram(True))
    )


def _latency() -> Section:
    ttft = "the time to first token (arrival at the API server to the first token, queueing included)"
    itl = "the time between two streamed tokens"
    e2e = "the end-to-end request time (arrival to last token)"
    return Section(
        "Latency",
        [
            _percentiles("Time to first token", "time_to_first_token_seconds", ttft),
            _percentiles("Inter-token latency", "inter_token_latency_seconds", itl),
            _percentiles("End-to-end latency", "e2e_request_latency_seconds", e2e),
            heatmap_panel(
                "Time to first token heatmap",
                description=f"Requests per bucket of {ttft}; the SLO threshold is the 1 s bucket.",
                metric="vllm:time_to_first_token_seconds",
            ),
            heatmap_panel(
                "Inter-token latency heatmap",
                description=f"Tokens per bucket of {itl}.",
                metric="vllm:inter_token_latency_seconds",
            ),
            heatmap_panel(
                "End-to-end latency heatmap",
                description=f"Requests per bucket of {e2e}.",
                metric="vllm:e2e_request_latency_seconds",
            ),
        ],
    )


def _cache() -> Section:
    hits = _per_model(_model_rate("vllm:prefix_cache_hits_total"))
    queries = _per_model(_model_rate("vllm:prefix_cache_queries_total"))
    return Section(
        "KV cache",
        [
            timeseries_panel(
                "KV cache usage",
                description="Share of KV-cache blocks in use, fullest data-parallel engine per deployment. "
                "Above 95% requests queue and get preempted.",
                unit="percentunit",
                queries=[Query(f"max by ({BY_MODEL}) ({_model('vllm:kv_cache_usage_perc')})", MODEL_LEGEND)],
                steps=KV_STEPS,
                min_value=0,
                max_value=1,
                width=8,
            ),
            timeseries_panel(
                "Prefix cache hit ratio",
                description="Share of prompt tokens found in the prefix cache (their prefill is skipped).",
                unit="percentunit",
                queries=[Query(f"{hits} / {queries}", MODEL_LEGEND)],
                steps=((None, "green"),),
                min_value=0,
                max_value=1,
                width=8,
            ),
            timeseries_panel(
                "Preemptions",
                description="Running requests evicted from the KV cache per minute, to be recomputed "
                "later: a sign the cache is too small for the load.",
                unit="cpm",
                queries=[
                    Query(f"{_per_model(_model_rate('vllm:num_preemptions_total'))} * 60", MODEL_LEGEND)
                ],
                min_value=0,
                width=8,
            ),
        ],
    )


def _errors_and_slos() -> Section:
    http_total = f"sum by (deployment) ({rate('http_requests_total', DEPLOYMENT, COMPLETIONS)})"
    http_errors = (
        f"sum by (deployment) ({rate('http_requests_total', DEPLOYMENT, COMPLETIONS, SERVER_ERROR)})"
    )
    slo_legend = "{{deployment}} {{sloth_slo}}"
    return Section(
        "Errors and SLOs",
        [
            timeseries_panel(
                "Error ratio",
                description="Share of completion requests answered with a 5xx per deployment (a "
                "deployment that never failed has no 5xx series and reads 0).",
                unit="percentunit",
                queries=[Query(f"({http_errors} or 0 * {http_total}) / {http_total}", "{{deployment}}")],
                steps=ERROR_STEPS,
                min_value=0,
                max_value=1,
            ),
            timeseries_panel(
                "SLO burn rate",
                description="How fast each SLO's error budget burns over the last 5 minutes: 1 spends the "
                "30-day budget in 30 days. Availability: 99.9% of completion requests without a 5xx; "
                "ttft: 99% of first tokens within 1 s. Pages above 14.4x (1h) or 6x (6h).",
                unit="short",
                queries=[Query(selector("slo:current_burn_rate:ratio", DEPLOYMENT, VLLM_SLOS), slo_legend)],
                steps=BURN_STEPS,
                min_value=0,
            ),
            stat_panel(
                "Error budget remaining",
                description="Share of each SLO's 30-day error budget not yet spent (0% = spent; below "
                "0% = overspent; needs 30 days of Prometheus history to cover a whole period).",
                unit="percentunit",
                queries=[
                    Query(
                        selector("slo:period_error_budget_remaining:ratio", DEPLOYMENT, VLLM_SLOS),
                        slo_legend,
                        instant=True,
                    )
                ],
                steps=BUDGET_STEPS,
                min_value=0,
                max_value=1,
                width=12,
            ),
            stat_panel(
                "SLI over 30 days",
                description="Share of good events over the SLO period so far, per deployment and SLO "
                "(availability objective 99.9%, ttft 99%); the colours are the availability objective's.",
                unit="percentunit",
                queries=[
                    Query(
                        f"1 - {selector('slo:sli_error:ratio_rate30d', DEPLOYMENT, VLLM_SLOS)}",
                        slo_legend,
                        instant=True,
                    )
                ],
                steps=((None, "red"), (0.99, "orange"), (0.999, "green")),
                min_value=0,
                max_value=1,
                width=12,
            ),
        ],
    )


def _engines_and_models() -> Section:
    per_model = "max by (model_name) ({})"
    metadata = (
        table_panel(
            "Model metadata",
            description="Each served model with its Hugging Face metadata: architecture, weights dtype, "
            "quantization, license, parameter count, trained context length, and the context length "
            "vLLM serves it with (max_model_len).",
            unit="short",
            queries=[
                Query(
                    "max by (model_name, architecture, dtype, quantization, license) "
                    f"({selector('llmon_model_info', MODEL)})",
                    instant=True,
                    table=True,
                ),
                Query(per_model.format(selector("llmon_model_parameters", MODEL)), instant=True, table=True),
                Query(
                    per_model.format(selector("llmon_model_context_length", MODEL)), instant=True, table=True
                ),
                Query(
                    per_model.format(selector("llmon_vllm_max_model_len", DEPLOYMENT, MODEL)),
                    instant=True,
                    table=True,
                ),
            ],
            hidden_columns=("Time", "Value #A"),
            width=24,
            height=7,
        )
        .with_transformation(models.DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            models.DataTransformerConfig(
                id_val="organize",
                options={
                    "renameByName": {
                        "Value #B": "Parameters",
                        "Value #C": "Trained context",
                        "Value #D": "max_model_len",
                    }
                },
            )
        )
    )
    engines = table_panel(
        "Engines",
        description="Each vLLM engine: its vLLM version and the models it serves (LoRA adapters "
        "with their base model as parent).",
        unit="none",
        queries=[
            Query(
                f"max by (deployment, version) ({selector('llmon_vllm_info', DEPLOYMENT)})",
                instant=True,
                table=True,
            ),
            Query(
                "max by (deployment, model_name, root, parent) "
                f"({selector('llmon_vllm_served_model_info', DEPLOYMENT)})",
                instant=True,
                table=True,
            ),
        ],
        hidden_columns=("Time", "Value #A", "Value #B"),
        width=12,
        height=7,
    ).with_transformation(models.DataTransformerConfig(id_val="merge", options={}))
    restarts = timeseries_panel(
        "Engine restarts",
        description="Engine restarts the exporter has seen per interval (a new engine start time, "
        "counters starting over).",
        unit="none",
        queries=[
            Query(
                "sum by (deployment) (increase("
                f"{selector('llmon_vllm_engine_restarts_total', DEPLOYMENT)}{RATE_WINDOW}))",
                "{{deployment}}",
            )
        ],
        min_value=0,
        width=6,
        height=7,
    )
    scrape = timeseries_panel(
        "Engine scrape duration",
        description="How long the exporter's last scrape of each engine's /metrics took.",
        unit="s",
        queries=[
            Query(
                f"max by (deployment) ({selector('llmon_vllm_scrape_duration_seconds', DEPLOYMENT)})",
                "{{deployment}}",
            )
        ],
        steps=HIGH_IS_BAD,
        min_value=0,
        width=6,
        height=7,
    )
    return Section("Engines and models", [metadata, engines, restarts, scrape])


def build() -> DashboardModel:
    """The LLM serving dashboard model."""
    return dashboard(
        uid=UID,
        title=TITLE,
        description="vLLM engines: requests, queue, latency percentiles and heatmaps, tokens, KV and "
        "prefix cache, preemptions, errors, SLO burn rates and error budgets, served models.",
        variables=[
            *scope_variables("llmon_vllm_up", job="llmon-vllm", instance_label="Exporter"),
            query_variable(
                "deployment",
                label="Deployment",
                query=label_values("llmon_vllm_up", "deployment"),
                include_all=True,
                all_value=".*",
            ),
            query_variable(
                "model_name",
                label="Model",
                query=label_values("llmon_vllm_served_model_info", "model_name", DEPLOYMENT),
                include_all=True,
                all_value=".*",
            ),
        ],
        sections=[_overview(), _traffic(), _latency(), _cache(), _errors_and_slos(), _engines_and_models()],
    )
