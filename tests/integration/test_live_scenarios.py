"""Every scenario of mock/scenarios played on the native stack: its alerts go pending or firing, and
the dashboard panels and rule expressions return what the scenario promises.

Each scenario is set through the control API and its clock jumped to where the scenario has arrived
(arrival_time). Then the node's history is deleted from Prometheus, so that every rate() window and
every alert starts from the new scenario alone, as if Prometheus had watched it from the start: no
leftovers from the scenario before, and no rates inflated by the jump. The tests wait until
Prometheus holds two scrapes of the new state (the least rate() needs) and has evaluated every rule
group on them. The scenarios share the session's stack through one module-scoped fixture.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from live_stack import ControlAPI, PrometheusAPI, arrival_time, load_rules, panel_queries, wait_until

from mock.scenario import DEFAULT_SCENARIO, Scenario, load_scenarios
from mock.stack import NativeStack

pytestmark = pytest.mark.integration

SCENARIOS = load_scenarios()
ORDER = [DEFAULT_SCENARIO, *sorted(name for name in SCENARIOS if name != DEFAULT_SCENARIO)]
RULES = load_rules()
NODE_JOB = "llmon-node"


@pytest.fixture(scope="module", params=ORDER)
def active(
    request: pytest.FixtureRequest, stack: NativeStack, prometheus: PrometheusAPI, control: ControlAPI
) -> Iterator[Scenario]:
    """Switch to the scenario, let the twin write it, and have Prometheus see only that state."""
    scenario = SCENARIOS[request.param]
    assert control.put_scenario(scenario.name).status_code == 200
    status = control.jump(arrival_time(scenario))
    assert (status["scenario"], status["t"] >= arrival_time(scenario)) == (scenario.name, True)
    # A file the twin wrote a full tick after the switch was computed from the new state.
    proc_stat = stack.twin_root / "proc" / "stat"
    fresh = time.time() + stack.twin_interval
    wait_until(lambda: proc_stat.stat().st_mtime, lambda mtime: mtime > fresh, "the twin writing the state")

    prometheus.delete_series(f'{{job="{NODE_JOB}"}}')
    wait_until(lambda: prometheus.stored_scrapes(NODE_JOB), lambda n: n >= 2, "two scrapes of the new state")
    scraped = prometheus.last_scrape(NODE_JOB)
    wait_until(lambda: prometheus.rules_evaluated_after(scraped), bool, "every rule group evaluated on them")
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
    a healthy host shows no "No data" anywhere, error panels included, which count zeros. In the
    other scenarios a panel they do not list may be empty. Alert expressions are not panels; their
    rule is in test_every_rule_expression_runs_and_recording_rules_have_data.
    """
    queries = panel_queries(prometheus)
    listed = set(active.panels)
    assert listed <= {query.key for query in queries}, "the scenario lists a panel no dashboard has"
    must_have_data = {query.key for query in queries} if active.name == DEFAULT_SCENARIO else listed

    empty = [query for query in queries if not prometheus.query(query.expr)]

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
    results = {rule: prometheus.query(rule.expr) for rule in RULES}

    empty_records = [rule.name for rule, result in results.items() if rule.kind == "record" and not result]
    assert empty_records == []
    firing = {rule.name for rule, result in results.items() if rule.kind == "alert" and result}
    assert sorted(set(active.alerts) - firing) == []
