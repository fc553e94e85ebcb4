"""The native stack as a whole: every configured target scraped, every node source healthy, the
repository's rules loaded, and the Watchdog travelling from Prometheus to Alertmanager."""

from __future__ import annotations

import httpx
import pytest
import yaml
from live_stack import RULES_DIR, PrometheusAPI, configured_jobs, wait_until

from exporters.node.collectors import build_sources
from exporters.node.config import NodeSettings
from mock.stack import NativeStack

pytestmark = pytest.mark.integration


def test_every_configured_job_is_scraped_on_the_native_ports(stack: NativeStack, prometheus: PrometheusAPI):
    targets = prometheus.targets()
    assert {target["labels"]["job"] for target in targets} == configured_jobs()
    scraped = [component.name for component in stack.components if component.scrape_target]
    assert {target["labels"]["instance"] for target in targets} == {
        f"127.0.0.1:{stack.ports[name]}" for name in [*scraped, "prometheus", "alertmanager"]
    }
    down = [(target["labels"]["job"], target["lastError"]) for target in targets if target["health"] != "up"]
    assert down == []


def test_every_node_source_reports_up(prometheus: PrometheusAPI):
    expected = {source.name for source in build_sources(NodeSettings())}
    result = prometheus.query('llmon_exporter_up{job="llmon-node"}')
    assert {series["metric"]["source"]: float(series["value"][1]) for series in result} == dict.fromkeys(
        expected, 1.0
    )


def test_prometheus_loaded_every_rule_group_of_the_repository(prometheus: PrometheusAPI):
    expected = {
        group["name"]
        for path in RULES_DIR.glob("*.yml")
        for group in yaml.safe_load(path.read_text())["groups"]
    }
    loaded = prometheus.http.get("/api/v1/rules").json()["data"]["groups"]
    assert {group["name"] for group in loaded} == expected
    assert [group["name"] for group in loaded if any(rule["health"] != "ok" for rule in group["rules"])] == []


def test_watchdog_reaches_alertmanager(stack: NativeStack):
    def watchdogs() -> list[dict]:
        response = httpx.get(
            f"{stack.alertmanager_url}/api/v2/alerts", params={"filter": 'alertname="Watchdog"'}
        )
        return response.raise_for_status().json()

    alerts = wait_until(watchdogs, bool, "Watchdog in Alertmanager")
    assert [(alert["labels"]["severity"], alert["status"]["state"]) for alert in alerts] == [
        ("none", "active")
    ]
