"""Every scenario of mock/scenarios played on the native stack: its alerts go pending or firing, and
the dashboard panels and rule expressions return what the scenario promises.

How a scenario is set up, so that Prometheus sees it as if it had watched it for a whole rate window
without the test waiting minutes of wall time:
1. set it through the control API and jump its clock to where it has arrived (arrival_time);
2. delete the node's history from Prometheus, so nothing from the scenario before is in any window;
3. once Prometheus has one scrape of the arrived state, jump the clock by the widest rate() window the
   rules use: the next scrape's counters have grown by exactly one window of the scenario, so rate()
   over that window reads about the scenario's own rates (Prometheus divides by the window, not by the few
   seconds of samples);
4. wait for a scrape of that state and two rounds of rule evaluation (alerts read recorded series).
The scenarios share the session's stack through one module-scoped fixture, `normal` first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from live_stack import (
    ControlAPI,
    PrometheusAPI,
    arrival_time,
    configured_jobs,
    load_rules,
    longest_rate_window,
    panel_queries,
    wait_until,
)

from grafana.dashboards_src.queries import EMPTY_WHEN_HEALTHY
from mock.db import current_clock, open_db, read_history
from mock.scenario import DEFAULT_SCENARIO, Scenario, load_scenarios
from mock.stack import NativeStack

pytestmark = pytest.mark.integration

SCENARIOS = load_scenarios()
ORDER = [DEFAULT_SCENARIO, *sorted(name for name in SCENARIOS if name != DEFAULT_SCENARIO)]
RULES = load_rules()
# Every llmon exporter's job: their history is wiped and re-scraped around each scenario switch.
LLMON_JOBS = sorted(job for job in configured_jobs() if job.startswith("llmon-"))


def wait_for_twin_write(stack: NativeStack) -> float:
    """Wait for a file the twin wrote a full tick from now, hence computed from the clock as it is
    now; returns its modification time."""
    proc_stat = stack.twin_root("node") / "proc" / "stat"
    fresh = time.time() + stack.twin_interval
    return wait_until(lambda: proc_stat.stat().st_mtime, lambda mtime: mtime > fresh, "the twin writing")


DAY_S = 86400.0
#: Room after the check for its waits (scrapes, rule rounds, alert polling) and a slow machine.
CHECK_MARGIN_S = 600.0


def twins_time(stack: NativeStack) -> float:
    """Unix time on the twins' clock: where the clock first started plus every scenario played since."""
    with open_db(stack.db_path) as conn:
        state = current_clock(conn, time.time())
        history = read_history(conn)
    return float(state.origin_wall or time.time()) + sum(d for _, d in history) + state.t(time.time())


def start_on_a_fresh_day_if_needed(stack: NativeStack, control: ControlAPI, window: float) -> None:
    """Daily figures (LiteLLM's spend today) restart at UTC midnight of the twins' clock, which runs
    ahead of the wall clock by every jump of the scenarios before. A scenario whose check straddled a
    midnight would test the reset, not the scenario, and pass or fail by the hour the suite runs; so
    when the coming window would cross one, the clock first moves to just past it."""
    into_day = twins_time(stack) % DAY_S
    if into_day + window > DAY_S:
        control.jump(DAY_S - into_day + 60.0)


@pytest.fixture(scope="module", params=ORDER)
def active(
    request: pytest.FixtureRequest, stack: NativeStack, prometheus: PrometheusAPI, control: ControlAPI
) -> Iterator[Scenario]:
    scenario = SCENARIOS[request.param]
    window = arrival_time(scenario) + longest_rate_window(RULES) + CHECK_MARGIN_S
    start_on_a_fresh_day_if_needed(stack, control, window)
    assert control.put_scenario(scenario.name).status_code == 200
    control.jump(arrival_time(scenario))
    wait_for_twin_write(stack)

    prometheus.delete_series('{job=~"llmon-.*"}')
    for job in LLMON_JOBS:
        wait_until(lambda job=job: prometheus.stored_scrapes(job), lambda n: n >= 1, f"a {job} scrape")
    status = control.jump(longest_rate_window(RULES))
    assert status["scenario"] == scenario.name
    written = wait_for_twin_write(stack)
    scraped = max(
        wait_until(
            lambda job=job: prometheus.last_scrape(job), lambda at: at > written, f"a {job} scrape after it"
        )
        for job in LLMON_JOBS
    )
    prometheus.wait_for_rule_rounds_after(scraped)
    yield scenario
    assert control.put_scenario(DEFAULT_SCENARIO).status_code == 200


def test_scenario_alerts_are_pending_or_firing(active: Scenario, prometheus: PrometheusAPI):
    """Each alert the scenario lists is in ALERTS (its `for:` is minutes, so pending counts); in the
    normal scenario no Host* alert is active at all."""
    expected = set(active.alerts)
    alerts = wait_until(
        prometheus.alerts,
        lambda found: expected <= {alert["alertname"] for alert in found},
        f"{active.name}: alerts {sorted(expected)} in ALERTS",
    )
    if active.name == DEFAULT_SCENARIO:
        host_alerts = sorted(
            {alert["alertname"] for alert in alerts if alert["alertname"].startswith("Host")}
        )
        assert host_alerts == []


def test_every_panel_query_runs_and_the_promised_panels_have_data(
    active: Scenario, prometheus: PrometheusAPI
):
    """Every target of every panel of every dashboard in grafana/dashboards is executed, with its
    template variables resolved the way Grafana resolves them on this Prometheus.

    Rule: every query must execute without a PromQL error, in every scenario. A query must also
    return at least one series when its panel is one the scenario lists under `panels:`, and in the
    normal scenario for every panel of every dashboard (Server health and llmon self-monitoring):
    a healthy host shows no "No data" anywhere, error panels included, which count zeros — except
    the fault lists in EMPTY_WHEN_HEALTHY, which some scenario must list instead (checked below). In
    the other scenarios a panel they do not list may be empty. Alert expressions are not panels; their
    rule is in test_every_rule_expression_runs_and_recording_rules_have_data.
    """
    queries = panel_queries(prometheus)
    listed = set(active.panels)
    assert listed <= {query.key for query in queries}, "the scenario lists a panel no dashboard has"
    healthy_keys = {query.key for query in queries} - set(EMPTY_WHEN_HEALTHY)
    must_have_data = healthy_keys if active.name == DEFAULT_SCENARIO else listed

    needed = {query.expr for query in queries if query.key in must_have_data}
    results = prometheus.query_settled([query.expr for query in queries], needed)
    empty = [query for query in queries if not results[query.expr]]

    assert [f"{query.key}: {query.expr}" for query in empty if query.key in must_have_data] == []


def test_every_rule_expression_runs_and_recording_rules_have_data(
    active: Scenario, prometheus: PrometheusAPI
):
    """Every expression in prometheus/rules is executed as an instant query.

    Rule: every expression must execute without error in every scenario. A recording rule's
    expression must return data in every scenario (it is what the alerts and dashboards build on).
    An alert expression is legitimately empty when its condition does not hold, so it is only
    required to return data for the alerts the scenario lists under `alerts:`; where several rules
    share an alert name (warning and critical thresholds), at least one of them must.
    """
    needed = {rule.expr for rule in RULES if rule.kind == "record" or rule.name in active.alerts}
    settled = prometheus.query_settled([rule.expr for rule in RULES], needed)
    results = {rule: settled[rule.expr] for rule in RULES}

    empty_records = [rule.name for rule, result in results.items() if rule.kind == "record" and not result]
    assert empty_records == []
    firing = {rule.name for rule, result in results.items() if rule.kind == "alert" and result}
    assert sorted(set(active.alerts) - firing) == []


def test_panels_empty_when_healthy_are_proven_by_a_scenario():
    """A panel excused from having data in `normal` must be one some scenario promises to fill, so
    its query is still executed against data it is meant to show."""
    promised = {panel for scenario in SCENARIOS.values() for panel in scenario.panels}
    assert sorted(set(EMPTY_WHEN_HEALTHY) - promised) == []
