"""Grafana provisioning files parse and pin the uids and paths the rest of llmon relies on."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from grafana import PROVISIONING_DIR


def _load(relative: str) -> dict[str, Any]:
    return yaml.safe_load((PROVISIONING_DIR / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def datasources() -> dict[str, dict[str, Any]]:
    document = _load("datasources/datasources.yml")
    assert document["apiVersion"] == 1
    assert document["prune"] is True
    return {source["uid"]: source for source in document["datasources"]}


def test_datasources_have_the_fixed_uids_types_and_urls(datasources: dict[str, dict[str, Any]]) -> None:
    assert {uid: (s["type"], s["url"]) for uid, s in datasources.items()} == {
        "prometheus": ("prometheus", "http://prometheus:9090"),
        "loki": ("loki", "http://loki:3100"),
        "alertmanager": ("alertmanager", "http://alertmanager:9093"),
    }


def test_datasources_are_read_only_proxied(datasources: dict[str, dict[str, Any]]) -> None:
    for uid, source in datasources.items():
        assert source["editable"] is False, uid
        assert source["access"] == "proxy", uid


def test_prometheus_is_the_default_with_scrape_interval(datasources: dict[str, dict[str, Any]]) -> None:
    prometheus = datasources["prometheus"]

    assert prometheus["isDefault"] is True
    assert [uid for uid, s in datasources.items() if s.get("isDefault")] == ["prometheus"]
    assert prometheus["jsonData"]["timeInterval"] == "15s"
    assert prometheus["jsonData"]["httpMethod"] == "POST"
    assert prometheus["jsonData"]["alertmanagerUid"] in datasources


def test_alertmanager_speaks_the_prometheus_flavour(datasources: dict[str, dict[str, Any]]) -> None:
    assert datasources["alertmanager"]["jsonData"]["implementation"] == "prometheus"


def test_dashboard_provider_loads_the_generated_directory_read_only() -> None:
    document = _load("dashboards/dashboards.yml")

    assert document["apiVersion"] == 1
    [provider] = document["providers"]
    assert provider["type"] == "file"
    assert provider["folder"] == "llmon"
    assert provider["allowUiUpdates"] is False
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
