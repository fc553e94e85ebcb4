"""The "Gateway and spend" dashboard: LiteLLM's health, spend and budgets, traffic, latency, deployments.

Built from the LiteLLM exporter (exporters/litellm). Spend, tokens and requests are the exporter's
monotonic counters from LiteLLM's daily activity, drawn as rates; budgets and key spend are LiteLLM's
own levels from the admin API; latency and deployment state come from LiteLLM's /metrics and need
the exporter's ``--scrape-metrics``. Money is in USD (LiteLLM's spend unit) and drawn with
Grafana's ``currencyUSD`` unit; the spend-rate panels are USD per day, as their descriptions say.

Every query has data on a healthy gateway: error panels count zeros (the exporter exports a failed
requests counter at 0 for every model and provider, and a cooldown counter for every deployment).
"""

from __future__ import annotations

from grafana.dashboards_src.common import (
    HIGH_IS_BAD,
    RATE_WINDOW,
    UP_DOWN,
    DashboardModel,
    PanelBuilder,
    Query,
    Section,
    bargauge_panel,
    dashboard,
    label_values,
    percentile_queries,
    query_variable,
    rate,
    scope_variables,
    selector,
    stat_panel,
    table_panel,
    timeseries_panel,
    value_mapping,
)
from grafana.dashboards_src.common import dashboard_models as models

UID = "llmon-litellm"
TITLE = "Gateway and spend"
TEAM = 'team=~"$team"'
KEY = 'key=~"$key"'
MODEL = 'model=~"$model"'
MODEL_GROUP = 'model_group=~"$model"'
PER_DAY = " * 86400"
USD = "currencyUSD"
UP_VALUES = {"1": ("Up", "green"), "0": ("Down", "red")}
STATE_VALUES = {"0": ("Healthy", "green"), "1": ("Partial outage", "orange"), "2": ("Outage", "red")}
COUNT_BAD = ((None, "green"), (1, "red"))
FAILURE_STEPS = ((None, "green"), (0.05, "orange"), (0.10, "red"))


def _ratio(failed: str, total: str, by: str) -> str:
    """Failed over all requests per ``by`` (a provider with no requests in the window gives NaN, not
    nothing, so the series stays on the panel)."""
    return f"sum by ({by}) ({failed}) / sum by ({by}) ({total})"


def _overview() -> Section:
    failed = rate("llmon_litellm_model_failed_requests_total", MODEL)
    total = rate("llmon_litellm_model_requests_total", MODEL)
    return Section(
        "Overview",
        [
            stat_panel(
                "Gateway status",
                description="LiteLLM's liveness and readiness probes and whether its database is connected.",
                unit="none",
                queries=[
                    Query(f"min({selector('llmon_litellm_alive')})", "alive", instant=True),
                    Query(f"min({selector('llmon_litellm_ready')})", "ready", instant=True),
                    Query(f"min({selector('llmon_litellm_db_connected')})", "database", instant=True),
                ],
                steps=UP_DOWN,
                value_names=UP_VALUES,
                width=6,
            ),
            stat_panel(
                "Spend today (USD)",
                description="Spend of the selected teams so far today, in the proxy's UTC day.",
                unit=USD,
                queries=[Query(f"sum({selector('llmon_litellm_team_spend_today_usd', TEAM)})", instant=True)],
                width=5,
            ),
            stat_panel(
                "Requests",
                description="Requests per second through the gateway to the selected models.",
                unit="reqps",
                queries=[Query(f"sum({total})", instant=True)],
                width=4,
            ),
            stat_panel(
                "Failure ratio",
                description="Share of the requests to the selected models that failed, LiteLLM's own "
                "rejections (budgets, rate limits) included.",
                unit="percentunit",
                queries=[Query(f"sum({failed}) / sum({total})", instant=True)],
                steps=FAILURE_STEPS,
                min_value=0,
                max_value=1,
                width=4,
            ),
            stat_panel(
                "Budgets exhausted",
                description="Teams and virtual keys whose spend has reached their max budget: LiteLLM "
                "rejects their requests until the budget resets.",
                unit="none",
                queries=[
                    Query(
                        f"sum({selector('llmon_litellm_team_budget_utilisation_ratio')} >= bool 1)",
                        "teams",
                        instant=True,
                    ),
                    Query(
                        f"sum({selector('llmon_litellm_key_budget_utilisation_ratio')} >= bool 1)",
                        "keys",
                        instant=True,
                    ),
                ],
                steps=COUNT_BAD,
                width=5,
            ),
        ],
    )


def _spend() -> Section:
    return Section(
        "Spend",
        [
            timeseries_panel(
                "Spend per team",
                description="Spend rate of each team in USD per day (from LiteLLM's daily activity).",
                unit=USD,
                queries=[
                    Query(
                        f"sum by (team) ({rate('llmon_litellm_team_spend_usd_total', TEAM)}){PER_DAY}",
                        "{{team}}",
                    )
                ],
                stacked=True,
                min_value=0,
            ),
            timeseries_panel(
                "Spend per model",
                description="Spend rate of each model group in USD per day.",
                unit=USD,
                queries=[
                    Query(
                        f"sum by (model) ({rate('llmon_litellm_model_spend_usd_total', MODEL)}){PER_DAY}",
                        "{{model}}",
                    )
                ],
                stacked=True,
                min_value=0,
            ),
            bargauge_panel(
                "Spend today per team",
                description="USD each team has spent so far today (proxy's UTC day) next to its "
                "average day over the 7 complete days before.",
                unit=USD,
                queries=[
                    Query(
                        f"max by (team) ({selector('llmon_litellm_team_spend_today_usd', TEAM)})",
                        "{{team}} today",
                        instant=True,
                    ),
                    Query(
                        f"max by (team) ({selector('llmon_litellm_team_spend_daily_average_usd', TEAM)})",
                        "{{team}} 7-day average",
                        instant=True,
                    ),
                ],
                min_value=0,
            ),
            bargauge_panel(
                "Top spending keys",
                description="The ten virtual keys with the most spend in USD as LiteLLM counts it: in the "
                "current budget period for keys with a budget duration, since creation otherwise.",
                unit=USD,
                queries=[
                    Query(
                        f"topk(10, max by (key) ({selector('llmon_litellm_key_budget_spend_usd', KEY)}))",
                        "{{key}}",
                        instant=True,
                    )
                ],
                min_value=0,
            ),
        ],
    )


def _budget_table(kind: str, label: str, matcher: str) -> PanelBuilder:
    """Spend, max budget, utilisation and reset time per team or key with a budget, one row each."""
    budgeted = f"and on (instance, {label}) {selector(f'llmon_litellm_{kind}_max_budget_usd', matcher)}"

    def column(metric: str, scale: str = "") -> Query:
        series = selector(f"llmon_litellm_{kind}_{metric}", matcher)
        return Query(f"max by (instance, {label}) ({series} {budgeted}){scale}", instant=True, table=True)

    what = "team" if kind == "team" else "virtual key"
    return (
        table_panel(
            f"{what.capitalize()} budgets",
            description=f"Each {what} with a max budget: spend in the current period (USD), the budget "
            "(USD), the share used, and when LiteLLM resets the period.",
            unit=USD,
            queries=[
                column("budget_spend_usd"),
                column("max_budget_usd"),
                column("budget_utilisation_ratio"),
                column("budget_reset_timestamp_seconds", " * 1000"),
            ],
            hidden_columns=("Time",),
            width=12,
            height=8,
        )
        .with_transformation(models.DataTransformerConfig(id_val="merge", options={}))
        .override_by_query("C", [models.DynamicConfigValue(id_val="unit", value="percentunit")])
        .override_by_query("D", [models.DynamicConfigValue(id_val="unit", value="dateTimeAsIso")])
    )


def _budgets() -> Section:
    return Section(
        "Budgets",
        [
            bargauge_panel(
                "Budget utilisation per team",
                description="Spend over max budget in the current budget period, per team; teams without "
                "a budget are not shown. At 100% LiteLLM rejects the team's requests.",
                unit="percentunit",
                queries=[
                    Query(
                        f"max by (team) ({selector('llmon_litellm_team_budget_utilisation_ratio', TEAM)})",
                        "{{team}}",
                        instant=True,
                    )
                ],
                steps=HIGH_IS_BAD,
                min_value=0,
                max_value=1,
            ),
            bargauge_panel(
                "Budget utilisation per key",
                description="Spend over max budget in the current budget period, per virtual key with a "
                "budget of its own.",
                unit="percentunit",
                queries=[
                    Query(
                        f"max by (key) ({selector('llmon_litellm_key_budget_utilisation_ratio', KEY)})",
                        "{{key}}",
                        instant=True,
                    )
                ],
                steps=HIGH_IS_BAD,
                min_value=0,
                max_value=1,
            ),
            _budget_table("team", "team", TEAM),
            _budget_table("key", "key", KEY),
        ],
    )


def _per(dimension: str, *matchers: str) -> list[PanelBuilder]:
    """Requests, tokens and failure ratio split by ``dimension`` (model or provider)."""
    label = "{{" + dimension + "}}"

    def counter(measure: str) -> str:
        return rate(f"llmon_litellm_{dimension}_{measure}_total", *matchers)

    return [
        timeseries_panel(
            f"Requests per {dimension}",
            description=f"Requests per second through the gateway per {dimension}, failed ones included.",
            unit="reqps",
            queries=[Query(f"sum by ({dimension}) ({counter('requests')})", label)],
            stacked=True,
            min_value=0,
        ),
        timeseries_panel(
            f"Tokens per {dimension}",
            description=f"Prompt tokens (up) and completion tokens (down) per second per {dimension}.",
            unit="short",
            queries=[
                Query(f"sum by ({dimension}) ({counter('prompt_tokens')})", label + " prompt"),
                Query(f"sum by ({dimension}) ({counter('completion_tokens')})", label + " completion"),
            ],
            negative_y=".* completion$",
        ),
        timeseries_panel(
            f"Failure ratio per {dimension}",
            description=f"Share of the requests per {dimension} that failed: provider errors and "
            "LiteLLM's own rejections (budgets, rate limits).",
            unit="percentunit",
            queries=[Query(_ratio(counter("failed_requests"), counter("requests"), dimension), label)],
            steps=FAILURE_STEPS,
            min_value=0,
            max_value=1,
        ),
    ]


def _traffic() -> Section:
    return Section("Requests and tokens", [*_per("model", MODEL), *_per("provider")])


def _latency() -> Section:
    return Section(
        "Latency (LiteLLM /metrics)",
        [
            timeseries_panel(
                "Request latency percentiles",
                description="Total time of a request through the proxy, selected models together "
                "(LiteLLM's histogram; needs the exporter's --scrape-metrics).",
                unit="s",
                queries=percentile_queries("llmon_litellm_request_latency_seconds", MODEL_GROUP),
                min_value=0,
            ),
            timeseries_panel(
                "Time to first token percentiles",
                description="Time to the first token of streamed calls, selected models together "
                "(LiteLLM's histogram; needs --scrape-metrics).",
                unit="s",
                queries=percentile_queries("llmon_litellm_time_to_first_token_seconds", MODEL_GROUP),
                min_value=0,
            ),
        ],
    )


def _deployments() -> Section:
    info = selector("llmon_litellm_deployment_info", MODEL_GROUP)
    selected = f"and on (instance, model_id) {info}"

    def per_deployment(aggregation: str, inner: str) -> Query:
        return Query(f"{aggregation} by (instance, model_id) ({inner} {selected})", instant=True, table=True)

    state = models.DynamicConfigValue(id_val="mappings", value=[value_mapping(STATE_VALUES)])
    cooled = f"increase({selector('llmon_litellm_deployment_cooldowns_total')}{RATE_WINDOW})"
    health = (
        table_panel(
            "Deployment health",
            description="Each deployment behind the proxy: model group, provider, LiteLLM's state "
            "(needs --scrape-metrics), cooldowns in the last rate interval and its RPM/TPM limits.",
            unit="short",
            queries=[
                Query(
                    f"max by (instance, model_group, model_id, provider, litellm_model) ({info})",
                    instant=True,
                    table=True,
                ),
                per_deployment("max", selector("llmon_litellm_deployment_state")),
                per_deployment("sum", cooled),
                per_deployment("max", selector("llmon_litellm_deployment_rpm_limit")),
                per_deployment("max", selector("llmon_litellm_deployment_tpm_limit")),
            ],
            hidden_columns=("Time", "Value #A"),
            width=16,
            height=8,
        )
        .with_transformation(models.DataTransformerConfig(id_val="merge", options={}))
        .override_by_query("B", [state])
    )
    cooldowns = timeseries_panel(
        "Deployment cooldowns",
        description="Times per second LiteLLM's router took a deployment out of rotation after "
        "repeated failures (needs --scrape-metrics).",
        unit="short",
        queries=[
            Query(
                f"sum by (model) ({rate('llmon_litellm_deployment_cooldowns_total')} {selected})",
                "{{model}}",
            )
        ],
        min_value=0,
        width=8,
        height=8,
    )
    return Section("Deployments", [health, cooldowns])


def _polling() -> Section:
    """Whether the exporter is waiting on the proxy: while it waits, the admin figures are stale."""
    return Section(
        "Exporter polling",
        [
            timeseries_panel(
                "Admin API backoff",
                description="Seconds until the exporter may call the admin API again, by why it waits: "
                "rate_limited is a Retry-After the proxy asked for; the others are backoffs after "
                "failures. Meanwhile spend and budget panels show the last figures read.",
                unit="s",
                queries=[
                    Query(f"max by (reason) ({selector('llmon_litellm_backoff_seconds')})", "{{reason}}")
                ],
                min_value=0,
            ),
            timeseries_panel(
                "Admin API calls refused",
                description="429 answers from the proxy, and admin calls the exporter held back while "
                "waiting (by why it waits), per second.",
                unit="short",
                queries=[
                    Query(f"sum({rate('llmon_litellm_rate_limited_responses_total')})", "429 answers"),
                    Query(
                        f"sum by (reason) ({rate('llmon_litellm_requests_skipped_total')})",
                        "held back: {{reason}}",
                    ),
                ],
                min_value=0,
            ),
        ],
    )


def build() -> DashboardModel:
    """The Gateway and spend dashboard model."""
    return dashboard(
        uid=UID,
        title=TITLE,
        description="LiteLLM gateway: health, spend and budgets per team, key and model, requests, "
        "tokens, failures, latency and deployments.",
        variables=[
            *scope_variables("llmon_litellm_alive", job="llmon-litellm", instance_label="Gateway"),
            # ".*" for All: a gateway can have thousands of keys, too many for a regex alternation.
            query_variable(
                "team",
                label="Team",
                query=label_values("llmon_litellm_team_budget_spend_usd", "team"),
                include_all=True,
                all_value=".*",
            ),
            query_variable(
                "key",
                label="Key",
                query=label_values("llmon_litellm_key_info", "key", TEAM),
                include_all=True,
                all_value=".*",
            ),
            query_variable(
                "model",
                label="Model",
                query=label_values("llmon_litellm_model_requests_total", "model"),
                include_all=True,
                all_value=".*",
            ),
        ],
        sections=[_overview(), _spend(), _budgets(), _traffic(), _latency(), _deployments(), _polling()],
    )
