"""The node twin dying mid-run: the exporter keeps serving the files the twin left, Prometheus keeps
scraping it, the stack notices the dead child, and the data moves again once the twin is back."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest
from live_stack import PrometheusAPI, wait_until
from prometheus_client.parser import text_string_to_metric_families

from mock.stack import NativeStack

pytestmark = pytest.mark.integration

CPU_SECONDS = 'sum(node_cpu_seconds_total{job="llmon-node"})'


def sources_up(stack: NativeStack) -> dict[str, float]:
    response = httpx.get(f"{stack.url('node-exporter')}/metrics")
    assert response.status_code == 200
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    return {sample.labels["source"]: sample.value for sample in families["llmon_exporter_up"].samples}


def test_exporter_and_prometheus_ride_out_a_twin_outage(stack: NativeStack, prometheus: PrometheusAPI):
    twin = stack.children["node-twin"]
    healthy = sources_up(stack)
    try:
        os.kill(twin.pid, signal.SIGKILL)
        assert twin.process is not None
        twin.process.wait(timeout=10)
        killed_at = time.time()
        assert [child.name for child in stack.dead_children()] == ["node-twin"]

        # The files the twin left behind are still there, so every source reads them as before.
        assert sources_up(stack) == healthy
        wait_until(
            lambda: prometheus.last_scrape("llmon-node"), lambda at: at > killed_at, "a scrape after the kill"
        )
        assert prometheus.scalar('up{job="llmon-node"}') == 1.0
        frozen = prometheus.scalar(CPU_SECONDS)
        assert frozen is not None

        stack.restart("node-twin")

        wait_until(
            lambda: prometheus.scalar(CPU_SECONDS),
            lambda value: value is not None and value > frozen,
            "CPU counters advancing again after the twin restarted",
        )
        assert stack.dead_children() == []
    finally:
        if not twin.running():
            stack.restart("node-twin")
