"""The "Quality and cost" dashboard: what the LLM application's traces in Langfuse say about it.

Built from the Langfuse exporter (exporters/langfuse), which turns Langfuse's observations and scores
into counters and histograms, and from the rules in prometheus/rules/recording-langfuse.yml: score
averages and cost per generation are drawn next to the 7-day baselines the alerts compare them with,
so a panel shows exactly what LangfuseQualityScoreDropped and LangfuseCostPerRequestSpike saw. Money
is in USD (the unit Langfuse computes costs in), drawn with Grafana's ``currencyUSD`` unit.

Events reach the exporter when Langfuse has ingested them, so every panel but "Langfuse status"
trails the application by the ingestion lag drawn at the bottom.
"""

from __future__ import annotations

from grafana.dashboards_src.common import (
    UP_DOWN,
    DashboardModel,
    Query,
    Section,
    label_values,
    percentile_queries,
    query_variable,
    rate,
    scope_variables,
    selector,
    stat_panel,
    table_panel,
    timeseries_panel,
)
from grafana.dashboards_src.common import dashboard as build_dashboard

UID = "llmon-langfuse"
TITLE = "Quality and cost"
MODEL = 'model=~"$model"'
SCORE = 'name=~"$score"'
AVERAGED = 'data_type=~"NUMERIC|BOOLEAN"'
ERROR = 'level="ERROR"'
ERROR_OR_WARNING = 'level=~"ERROR|WARNING"'
USD = "currencyUSD"
PER_HOUR = " * 3600"
UP_VALUES = {"1": ("Up", "green"), "0": ("Down", "red")}
ERROR_STEPS = ((None, "green"), (0.02, "orange"), (0.05, "red"))
# LangfuseIngestionLagging fires above 10 minutes.
LAG_STEPS = ((None, "green"), (120, "orange"), (600, "red"))


def _per_model(counter: str) -> str:
    return f"sum by (model) ({rate(counter, MODEL)})"


def _overview() -> Section:
    return Section(
        "Overview",
        [
            stat_panel(
                "Langfuse status",
                description="Whether Langfuse's public health endpoint (/api/public/health) answers OK.",
                unit="none",
                queries=[Query(f"min({selector('llmon_langfuse_healthy')})", instant=True)],
                steps=UP_DOWN,
                value_names=UP_VALUES,
                width=4,
            ),
            table_panel(
                "Langfuse version",
                description="Langfuse's version from its health endpoint and the read surface the exporter "
                "uses (v4, v3 or v2 public API).",
                unit="none",
                queries=[
                    Query(
                        f"max by (instance, version, api) ({selector('llmon_langfuse_info')})",
                        instant=True,
                        table=True,
                    )
                ],
                width=8,
                height=4,
            ),
            stat_panel(
                "Generations",
                description="LLM calls (generations) per second Langfuse recorded for the selected models.",
                unit="reqps",
                queries=[Query(f"sum({rate('llmon_langfuse_generations_total', MODEL)})", instant=True)],
                width=4,
            ),
            stat_panel(
                "Cost per hour",
                description="What the selected models' generations cost, in USD per hour, as Langfuse "
                "prices them.",
                unit=USD,
                queries=[
                    Query(f"sum({rate('llmon_langfuse_cost_usd_total', MODEL)}){PER_HOUR}", instant=True)
                ],
                width=4,
            ),
            stat_panel(
                "Error observations",
                description="Share of all observations (spans, events, generations) logged at level ERROR.",
                unit="percentunit",
                queries=[
                    Query(
                        f"(sum({rate('llmon_langfuse_observations_total', ERROR)}) or vector(0)) / "
                        f"sum({rate('llmon_langfuse_observations_total')})",
                        instant=True,
                    )
                ],
                steps=ERROR_STEPS,
                min_value=0,
                max_value=1,
                width=4,
            ),
        ],
    )


def _cost() -> Section:
    cost = selector("environment_model:llmon_langfuse_cost_usd:increase7d", MODEL)
    generations = selector("environment_model:llmon_langfuse_generations:increase7d", MODEL)
    return Section(
        "Generations and cost",
        [
            timeseries_panel(
                "Generations over time",
                description="LLM calls (generations) per second per model.",
                unit="reqps",
                queries=[Query(_per_model("llmon_langfuse_generations_total"), "{{model}}")],
                stacked=True,
                min_value=0,
            ),
            timeseries_panel(
                "Cost per model",
                description="Cost of each model's generations in USD per hour.",
                unit=USD,
                queries=[Query(f"{_per_model('llmon_langfuse_cost_usd_total')}{PER_HOUR}", "{{model}}")],
                stacked=True,
                min_value=0,
            ),
            timeseries_panel(
                "Cost per 1k requests",
                description="USD per 1000 generations of each model, next to its average over the last "
                "7 days (or since the exporter began counting, if that is shorter). "
                "LangfuseCostPerRequestSpike fires at 1.5 times the baseline.",
                unit=USD,
                queries=[
                    Query(
                        f"{_per_model('llmon_langfuse_cost_usd_total')} / "
                        f"{_per_model('llmon_langfuse_generations_total')} * 1000",
                        "{{model}}",
                    ),
                    Query(
                        f"sum by (model) ({cost}) / sum by (model) ({generations}) * 1000",
                        "{{model}} 7-day baseline",
                    ),
                ],
                min_value=0,
            ),
            timeseries_panel(
                "Token usage",
                description="Input tokens (up) and output tokens (down) per second per model.",
                unit="short",
                queries=[
                    Query(
                        f"sum by (model, direction) ({rate('llmon_langfuse_tokens_total', MODEL)})",
                        "{{model}} {{direction}}",
                    )
                ],
                negative_y=".* output$",
            ),
        ],
    )


def _latency() -> Section:
    return Section(
        "Latency",
        [
            timeseries_panel(
                "Generation latency percentiles",
                description="Duration of a generation from start to end as Langfuse recorded it, "
                "selected models together.",
                unit="s",
                queries=percentile_queries("llmon_langfuse_generation_latency_seconds", MODEL),
                min_value=0,
            ),
            timeseries_panel(
                "Time to first token percentiles",
                description="Time from a generation's start to its first streamed token (streamed "
                "generations only), selected models together.",
                unit="s",
                queries=percentile_queries("llmon_langfuse_time_to_first_token_seconds", MODEL),
                min_value=0,
            ),
        ],
    )


def _quality() -> Section:
    current = selector("name_source:llmon_langfuse_score_value:avg_rate15m", SCORE)
    baseline = selector("name_source:llmon_langfuse_score_value:avg7d", SCORE)
    return Section(
        "Quality",
        [
            timeseries_panel(
                "Score averages vs 7-day baseline",
                description="Average of each numeric and boolean score (booleans as the share of true) "
                "over 15 minutes, next to its average over the last 7 days (or since the exporter "
                "began counting). LangfuseQualityScoreDropped fires below 80% of the baseline.",
                unit="short",
                queries=[
                    Query(f"avg by (name, source) ({current})", "{{name}} ({{source}})"),
                    Query(f"avg by (name, source) ({baseline})", "{{name}} ({{source}}) 7-day baseline"),
                ],
            ),
            timeseries_panel(
                "Scores per minute",
                description="Scores Langfuse received per minute by name and data type: evaluations, "
                "user feedback and annotations.",
                unit="cpm",
                queries=[
                    Query(
                        f"sum by (name, data_type) ({rate('llmon_langfuse_scores_total', SCORE)}) * 60",
                        "{{name}} ({{data_type}})",
                    )
                ],
                stacked=True,
                min_value=0,
            ),
        ],
    )


def _errors() -> Section:
    return Section(
        "Errors and ingestion",
        [
            timeseries_panel(
                "Error and warning observations",
                description="Observations per second logged at level ERROR or WARNING, by level and "
                "observation type.",
                unit="short",
                queries=[
                    Query(
                        "sum by (level, type) "
                        f"({rate('llmon_langfuse_observations_total', ERROR_OR_WARNING)})",
                        "{{level}} {{type}}",
                    )
                ],
                stacked=True,
                min_value=0,
                width=8,
            ),
            timeseries_panel(
                "Error ratio per observation type",
                description="Share of the observations of each type and environment logged at level "
                "ERROR over 15 minutes; LangfuseErrorObservationsHigh fires above 5%.",
                unit="percentunit",
                queries=[
                    Query(
                        selector("environment_type:llmon_langfuse_error_observations:ratio_rate15m"),
                        "{{environment}} {{type}}",
                    )
                ],
                steps=ERROR_STEPS,
                min_value=0,
                max_value=1,
                width=8,
            ),
            timeseries_panel(
                "Ingestion lag",
                description="Age of the newest event Langfuse serves: how far its ingestion (queue, "
                "worker, database) trails the application. LangfuseIngestionLagging fires above 10 "
                "minutes; an application sending nothing looks the same.",
                unit="s",
                queries=[Query(f"max({selector('llmon_langfuse_ingestion_lag_seconds')})", "lag")],
                steps=LAG_STEPS,
                min_value=0,
                width=8,
            ),
            timeseries_panel(
                "Langfuse API calls",
                description="Calls per second the exporter makes to Langfuse's public API by endpoint "
                "and HTTP status; 429 means Langfuse Cloud's rate limit was hit.",
                unit="reqps",
                queries=[
                    Query(
                        f"sum by (endpoint, code) ({rate('llmon_langfuse_api_requests_total')})",
                        "{{endpoint}} {{code}}",
                    )
                ],
                stacked=True,
                min_value=0,
                width=24,
            ),
        ],
    )


def build() -> DashboardModel:
    """The Quality and cost dashboard model."""
    return build_dashboard(
        uid=UID,
        title=TITLE,
        description="Langfuse: generations, cost, tokens, latency, evaluation scores against their "
        "7-day baselines, error observations and ingestion lag.",
        variables=[
            *scope_variables("llmon_langfuse_healthy", job="llmon-langfuse", instance_label="Langfuse"),
            query_variable(
                "model",
                label="Model",
                query=label_values("llmon_langfuse_generations_total", "model"),
                include_all=True,
                all_value=".*",
            ),
            query_variable(
                "score",
                label="Score",
                query=label_values("llmon_langfuse_scores_total", "name", AVERAGED),
                include_all=True,
                all_value=".*",
            ),
        ],
        sections=[_overview(), _cost(), _latency(), _quality(), _errors()],
    )
