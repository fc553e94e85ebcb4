"""Talking to the running native stack: Prometheus's HTTP API, the mock control API, and the
repository's dashboards, rules and scenarios turned into what the integration tests execute."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
import yaml

from grafana.dashboards_src.queries import DEFAULT_VALUES, iter_dashboard_queries, substitute_variables
from mock.scenario import Scenario
from mock.stack import REPO_ROOT

DASHBOARDS_DIR = REPO_ROOT / "grafana" / "dashboards"
RULES_DIR = REPO_ROOT / "prometheus" / "rules"
#: How long an expected series may stay absent before a test calls it missing (a few scrape intervals).
SETTLE_SECONDS = 10.0
# Generous: every wait ends as soon as its condition holds; this only bounds a failing test.
WAIT_SECONDS = 60.0

T = TypeVar("T")


def wait_until(
    fetch: Callable[[], T], done: Callable[[T], bool], what: str, timeout: float = WAIT_SECONDS
) -> T:
    """Poll `fetch` until `done` holds for its result; fail the test with the last result otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not reached within {timeout:.0f} s; last seen: {value!r}", pytrace=False)
        time.sleep(0.25)


class PrometheusAPI:
    """The few Prometheus HTTP API calls the tests need; errors from Prometheus fail loudly."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10.0)

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query; a PromQL error (bad syntax, type mismatch) raises with Prometheus's message."""
        body = self.http.get("/api/v1/query", params={"query": expr}).json()
        if body["status"] != "success":
            raise AssertionError(f"Prometheus rejected {expr!r}: {body['errorType']}: {body['error']}")
        return body["data"]["result"]

    def query_settled(
        self, exprs: list[str], needed: set[str], timeout: float = SETTLE_SECONDS
    ) -> dict[str, list[dict[str, Any]]]:
        """Every expression queried once; those in ``needed`` that came back empty are queried again
        until they have data or ``timeout`` passes. On this 2-core machine one scrape of the whole stack
        can miss its 1 s timeout, and Prometheus then marks all that target's series stale until the
        next scrape a second later: a single instant query would report that blink as "no data"."""
        results = {expr: self.query(expr) for expr in exprs}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            empty = [expr for expr in needed if not results.get(expr)]
            if not empty:
                break
            time.sleep(0.5)
            results.update({expr: self.query(expr) for expr in empty})
        return results

    def scalar(self, expr: str) -> float | None:
        """The single value of a one-series query, None while it has none."""
        result = self.query(expr)
        assert len(result) <= 1, f"{expr!r} returned {len(result)} series, expected at most one"
        return float(result[0]["value"][1]) if result else None

    def targets(self) -> list[dict[str, Any]]:
        return self.http.get("/api/v1/targets", params={"state": "active"}).json()["data"]["activeTargets"]

    def alerts(self) -> list[dict[str, str]]:
        """Label sets of the ALERTS series now (pending and firing)."""
        return [series["metric"] for series in self.query("ALERTS")]

    def label_values(self, label: str, match: str | None) -> list[str]:
        params = {"match[]": match} if match else {}
        return self.http.get(f"/api/v1/label/{label}/values", params=params).json()["data"]

    def rule_evaluations(self) -> list[float]:
        """When each rule group was last evaluated (unix seconds)."""
        groups = self.query("prometheus_rule_group_last_evaluation_timestamp_seconds")
        return [float(group["value"][1]) for group in groups]

    def wait_for_rule_rounds_after(self, moment: float) -> None:
        """Wait until every rule group has been evaluated twice after `moment`: alerts read the
        recorded series, which a group evaluating in the same round may not have written yet."""
        first = wait_until(self.rule_evaluations, lambda at: bool(at) and min(at) > moment, "rule evaluation")
        wait_until(
            self.rule_evaluations, lambda at: min(at) > max(first), "a second round of rule evaluation"
        )

    def delete_series(self, match: str) -> None:
        """Drop the history of matching series (admin API), so windows start from the next scrape."""
        self.http.post("/api/v1/admin/tsdb/delete_series", params={"match[]": match}).raise_for_status()

    def stored_scrapes(self, job: str) -> int:
        """How many scrapes of `job` the last hour of history holds."""
        return int(self.scalar(f'sum(count_over_time(up{{job="{job}"}}[1h]))') or 0)

    def last_scrape(self, job: str) -> float:
        """Unix time of the newest scrape of `job`, 0 before the first."""
        return self.scalar(f'max(timestamp(up{{job="{job}"}}))') or 0.0


class ControlAPI:
    """The mock control API (mock/control.py)."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10.0)

    def status(self) -> dict[str, Any]:
        return self.http.get("/api/v1/status").raise_for_status().json()

    def put_scenario(self, name: str) -> httpx.Response:
        return self.http.put("/api/v1/scenario", json={"name": name})

    def jump(self, seconds: float) -> dict[str, Any]:
        return (
            self.http.post("/api/v1/clock", json={"action": "jump", "seconds": seconds})
            .raise_for_status()
            .json()
        )


# --- what the tests execute ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule of prometheus/rules: `kind` is "record" or "alert", `name` the record or alert name."""

    kind: str
    name: str
    expr: str


def load_rules() -> list[Rule]:
    rules = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                kind = "record" if "record" in rule else "alert"
                rules.append(Rule(kind, rule[kind], rule["expr"].strip()))
    return rules


_RATE_WINDOW = re.compile(r"\b(?:rate|irate|increase)\([^\[]*\[(\d+)([smh])\]")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


def longest_rate_window(rules: list[Rule]) -> float:
    """Seconds of the widest rate()/irate()/increase() window any rule uses."""
    windows = [int(n) * _UNIT_SECONDS[unit] for rule in rules for n, unit in _RATE_WINDOW.findall(rule.expr)]
    assert windows, "no rate() windows found in prometheus/rules"
    return float(max(windows))


def configured_jobs() -> set[str]:
    """The scrape jobs of the repository's prometheus/prometheus.yml."""
    config = yaml.safe_load((REPO_ROOT / "prometheus" / "prometheus.yml").read_text())
    return {job["job_name"] for job in config["scrape_configs"]}


def arrival_time(scenario: Scenario) -> float:
    """Scenario seconds until the last phase's ramp has ended: from then on the host is in the state
    the scenario is about, so that is where a test jumps the clock to."""
    return max(phase.start + phase.ramp for phase in scenario.phases)


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    expr: str  # variables substituted

    @property
    def key(self) -> str:
        """The "<dashboard uid>/<panel title>" form scenarios list their panels in."""
        return f"{self.dashboard}/{self.panel}"


_LABEL_VALUES = re.compile(r"^label_values\((?:(?P<match>.+),\s*)?(?P<label>\w+)\)$")
_REGEX_SPECIAL = set("$^*{}[]'+?.()|")


def _regex_escaped(value: str) -> str:
    """A value as Grafana's Prometheus data source writes it into a regex matcher: special
    characters backslash-escaped, the backslash doubled again for the PromQL string literal."""
    return "".join("\\" * 4 if c == "\\" else "\\" * 2 + c if c in _REGEX_SPECIAL else c for c in value)


def _selected_value(variable: dict[str, Any], options: list[str]) -> str:
    """What Grafana interpolates for a query variable whose options are `options`: for "All", the
    variable's allValue or every option as a regex alternation; else the saved value while it is
    still an option, otherwise the first option."""
    current = variable.get("current", {}).get("value")
    if current in ("$__all", ["$__all"]):
        return variable.get("allValue") or "(" + "|".join(_regex_escaped(option) for option in options) + ")"
    chosen = [value for value in (current if isinstance(current, list) else [current]) if value in options]
    if len(chosen) > 1:
        return "(" + "|".join(_regex_escaped(value) for value in chosen) + ")"
    return chosen[0] if chosen else options[0]


def dashboard_variables(dashboard: dict[str, Any], prometheus: PrometheusAPI) -> dict[str, str]:
    """Values for a dashboard's template variables as Grafana picks them when the dashboard opens
    on this Prometheus: each `label_values()` variable is resolved in order (a later one may use an
    earlier one) and interpolated as `_selected_value` says."""
    values = dict(DEFAULT_VALUES)
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable["type"] != "query":
            continue
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        where = f"{dashboard['uid']}: variable ${variable['name']} ({query})"
        parsed = _LABEL_VALUES.match(query.strip())
        assert parsed, f"{where}: only label_values() queries are resolved here"
        match = substitute_variables(parsed["match"], values) if parsed["match"] else None
        options = prometheus.label_values(parsed["label"], match)
        assert options, f"{where} has no values, so every panel using it would be empty"
        values[variable["name"]] = _selected_value(variable, options)
    return values


def panel_queries(prometheus: PrometheusAPI) -> list[PanelQuery]:
    """Every PromQL target of every committed dashboard, with its variables resolved."""
    variables = {}
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        variables[dashboard["uid"]] = dashboard_variables(dashboard, prometheus)
    return [
        PanelQuery(uid, title, substitute_variables(expr, variables[uid]))
        for uid, title, expr in iter_dashboard_queries(DASHBOARDS_DIR)
    ]
