"""Alertmanager configuration: amtool's checks, routing of every llmon alert, and inhibition and
the Watchdog heartbeat observed on a real Alertmanager process."""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import yaml
from prom_support import PROMETHEUS_DIR, AlertRule, ToolRunner

AM_CONFIG = PROMETHEUS_DIR / "alertmanager.yml"
AM_CONFIG_ARG = f"--config.file={AM_CONFIG}"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# How long to wait for Alertmanager to start or to reach an expected state before failing.
WAIT_SECONDS = 20.0


def _config() -> dict[str, Any]:
    return yaml.safe_load(AM_CONFIG.read_text())


def _receiver_for(amtool: str, run_tool: ToolRunner, labels: dict[str, str]) -> str:
    """The receiver(s) amtool says an alert with `labels` is routed to, comma-separated."""
    label_args = [f"{name}={value}" for name, value in labels.items()]
    return run_tool(amtool, "config", "routes", "test", AM_CONFIG_ARG, *label_args).stdout.strip()


@pytest.mark.integration
def test_amtool_check_config(amtool: str, run_tool: ToolRunner) -> None:
    result = run_tool(amtool, "check-config", str(AM_CONFIG))
    assert "SUCCESS" in result.stdout


@pytest.mark.integration
@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        ({"alertname": "HostMemoryLow", "severity": "critical"}, "critical"),
        ({"alertname": "HostMemoryLow", "severity": "warning"}, "warning"),
        ({"alertname": "SomeContextAlert", "severity": "info"}, "info"),
        ({"alertname": "Watchdog", "severity": "none"}, "deadmans-switch"),
        ({"alertname": "InfoInhibitor", "severity": "none"}, "null"),
        # A rule without a severity label is a bug; it must still reach a human.
        ({"alertname": "UnlabelledAlert"}, "warning"),
        ({"alertname": "MisspeltSeverity", "severity": "Critical"}, "warning"),
    ],
    ids=["critical", "warning", "info", "watchdog", "other-none", "no-severity", "unknown-severity"],
)
def test_routing_by_severity(
    labels: dict[str, str], receiver: str, amtool: str, run_tool: ToolRunner
) -> None:
    assert _receiver_for(amtool, run_tool, labels) == receiver


@pytest.mark.integration
def test_every_alert_rule_reaches_its_severity_receiver(
    alert_rule: AlertRule, amtool: str, run_tool: ToolRunner
) -> None:
    expected = "deadmans-switch" if alert_rule.name == "Watchdog" else alert_rule.severity
    labels = {
        "alertname": alert_rule.name,
        **alert_rule.labels,
        "job": "llmon-node",
        "instance": "gpu-1:9871",
    }
    assert _receiver_for(amtool, run_tool, labels) == expected


def test_receivers_are_placeholders_without_credentials() -> None:
    """The repository ships loopback webhooks only; real integrations are configured per site."""
    for receiver in _config()["receivers"]:
        assert set(receiver) <= {"name", "webhook_configs"}, f"{receiver['name']} configures an integration"
        for webhook in receiver.get("webhook_configs") or []:
            assert set(webhook) <= {"url", "send_resolved"}, f"{receiver['name']} has extra webhook settings"
            assert urlsplit(webhook["url"]).hostname in LOOPBACK_HOSTS


def test_every_receiver_is_routed() -> None:
    config = _config()
    routed = {config["route"]["receiver"], *(route["receiver"] for route in config["route"]["routes"])}
    assert routed == {receiver["name"] for receiver in config["receivers"]}


# ------------------------------------------------------------------- a real Alertmanager


@dataclass(frozen=True)
class Notification:
    path: str
    body: dict[str, Any]


class _WebhookSink(BaseHTTPRequestHandler):
    """Collects what Alertmanager's webhook receivers POST, in place of the placeholder endpoints."""

    received: queue.Queue[Notification]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.received.put(Notification(self.path, json.loads(self.rfile.read(length))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


@pytest.fixture
def webhook_sink() -> Iterator[tuple[str, queue.Queue[Notification]]]:
    received: queue.Queue[Notification] = queue.Queue()
    handler = type("Sink", (_WebhookSink,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _with_webhooks_to(base_url: str) -> dict[str, Any]:
    """The repository's config with only the webhook scheme, host and port replaced."""
    config = _config()
    base = urlsplit(base_url)
    for receiver in config["receivers"]:
        for webhook in receiver.get("webhook_configs") or []:
            url = urlsplit(webhook["url"])
            webhook["url"] = urlunsplit((base.scheme, base.netloc, url.path, url.query, url.fragment))
    return config


def _eventually(check: Callable[[], bool]) -> bool:
    """Poll `check` until it holds or WAIT_SECONDS pass; the caller asserts on what it saw."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def alertmanager(
    alertmanager_binary: str, webhook_sink: tuple[str, queue.Queue[Notification]], tmp_path: Path
) -> Iterator[str]:
    """A real Alertmanager running prometheus/alertmanager.yml, webhooks redirected to the sink."""
    config_file = tmp_path / "alertmanager.yml"
    config_file.write_text(yaml.safe_dump(_with_webhooks_to(webhook_sink[0])))
    url = f"http://127.0.0.1:{_free_port()}"
    log_file = tmp_path / "alertmanager.log"
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [
                alertmanager_binary,
                f"--config.file={config_file}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address={urlsplit(url).netloc}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(f"alertmanager exited:\n{log_file.read_text()}", pytrace=False)
            try:
                return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        assert _eventually(ready), f"alertmanager did not become ready:\n{log_file.read_text()}"
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _alert(alertname: str, severity: str, **labels: str) -> dict[str, Any]:
    return {"labels": {"alertname": alertname, "severity": severity, "job": "llmon-node", **labels}}


def _states(alertmanager: str) -> dict[tuple[str, str, str, str], str]:
    """Alert state by (alertname, severity, instance, mountpoint)."""
    alerts = httpx.get(f"{alertmanager}/api/v2/alerts", timeout=5).json()
    return {
        (
            alert["labels"]["alertname"],
            alert["labels"]["severity"],
            alert["labels"].get("instance", ""),
            alert["labels"].get("mountpoint", ""),
        ): alert["status"]["state"]
        for alert in alerts
    }


@pytest.mark.integration
def test_inhibition_keeps_only_the_worst_severity_per_target(alertmanager: str) -> None:
    posted = [
        _alert("HostMemoryLow", "critical", instance="gpu-1:9871"),
        _alert("HostMemoryLow", "warning", instance="gpu-1:9871"),
        _alert("HostMemoryLow", "warning", instance="gpu-2:9871"),
        _alert("HostFilesystemAlmostFull", "critical", instance="gpu-1:9871", mountpoint="/models"),
        _alert("HostFilesystemAlmostFull", "warning", instance="gpu-1:9871", mountpoint="/models"),
        _alert("HostFilesystemAlmostFull", "warning", instance="gpu-1:9871", mountpoint="/"),
        _alert("LlmonSourceDown", "warning", instance="gpu-3:9871"),
        _alert("LlmonSourceDown", "info", instance="gpu-3:9871"),
        _alert("Watchdog", "none"),
    ]
    httpx.post(f"{alertmanager}/api/v2/alerts", json=posted, timeout=5).raise_for_status()
    expected = {
        ("HostMemoryLow", "critical", "gpu-1:9871", ""): "active",
        ("HostMemoryLow", "warning", "gpu-1:9871", ""): "suppressed",
        # Another server's warning is its own problem.
        ("HostMemoryLow", "warning", "gpu-2:9871", ""): "active",
        ("HostFilesystemAlmostFull", "critical", "gpu-1:9871", "/models"): "active",
        ("HostFilesystemAlmostFull", "warning", "gpu-1:9871", "/models"): "suppressed",
        # Another filesystem on the same server is not hidden by the full one.
        ("HostFilesystemAlmostFull", "warning", "gpu-1:9871", "/"): "active",
        ("LlmonSourceDown", "warning", "gpu-3:9871", ""): "active",
        ("LlmonSourceDown", "info", "gpu-3:9871", ""): "suppressed",
        ("Watchdog", "none", "", ""): "active",
    }
    last: dict[tuple[str, str, str, str], str] = {}

    def settled() -> bool:
        last.update(_states(alertmanager))
        return last == expected

    _eventually(settled)
    assert last == expected


@pytest.mark.integration
def test_exhausted_litellm_budget_hides_only_its_own_nearly_exhausted_warning(alertmanager: str) -> None:
    """Same gateway and same team (or key): only the exhausted alert notifies. Another team, a key of
    the exhausted team, or the same team on another gateway keeps its warning."""
    gateway, other_gateway = "litellm-exporter:9875", "litellm-exporter-2:9875"

    def budget(alertname: str, severity: str, instance: str, **owner: str) -> dict[str, Any]:
        return {"labels": {"alertname": alertname, "severity": severity, "job": "llmon-litellm",
                           "instance": instance, **owner}}  # fmt: skip

    posted = [
        budget("LitellmBudgetExhausted", "critical", gateway, team="research"),
        budget("LitellmBudgetNearlyExhausted", "warning", gateway, team="research"),
        budget("LitellmBudgetNearlyExhausted", "warning", gateway, team="support"),
        budget("LitellmBudgetNearlyExhausted", "warning", other_gateway, team="research"),
        budget("LitellmBudgetExhausted", "critical", gateway, key="ci-bot"),
        budget("LitellmBudgetNearlyExhausted", "warning", gateway, key="ci-bot"),
        budget("LitellmBudgetNearlyExhausted", "warning", gateway, key="research-notebook"),
    ]
    httpx.post(f"{alertmanager}/api/v2/alerts", json=posted, timeout=5).raise_for_status()
    expected = {
        ("LitellmBudgetExhausted", gateway, "team=research"): "active",
        ("LitellmBudgetNearlyExhausted", gateway, "team=research"): "suppressed",
        ("LitellmBudgetNearlyExhausted", gateway, "team=support"): "active",
        ("LitellmBudgetNearlyExhausted", other_gateway, "team=research"): "active",
        ("LitellmBudgetExhausted", gateway, "key=ci-bot"): "active",
        ("LitellmBudgetNearlyExhausted", gateway, "key=ci-bot"): "suppressed",
        ("LitellmBudgetNearlyExhausted", gateway, "key=research-notebook"): "active",
    }
    last: dict[tuple[str, str, str], str] = {}

    def settled() -> bool:
        alerts = httpx.get(f"{alertmanager}/api/v2/alerts", timeout=5).json()
        for alert in alerts:
            labels = alert["labels"]
            owner = f"team={labels['team']}" if "team" in labels else f"key={labels.get('key')}"
            last[(labels["alertname"], labels["instance"], owner)] = alert["status"]["state"]
        return last == expected

    _eventually(settled)
    assert last == expected


@pytest.mark.integration
def test_watchdog_reaches_the_dead_mans_switch_at_once(
    alertmanager: str, webhook_sink: tuple[str, queue.Queue[Notification]]
) -> None:
    """group_wait 0s: the heartbeat leaves as soon as the Watchdog arrives, on its own route."""
    httpx.post(
        f"{alertmanager}/api/v2/alerts", json=[_alert("Watchdog", "none")], timeout=5
    ).raise_for_status()
    received = webhook_sink[1]
    try:
        notification = received.get(timeout=WAIT_SECONDS)
    except queue.Empty:
        pytest.fail("no notification reached the webhook sink", pytrace=False)
    assert notification.path == "/heartbeat"
    assert notification.body["receiver"] == "deadmans-switch"
    assert [alert["labels"]["alertname"] for alert in notification.body["alerts"]] == ["Watchdog"]
    assert notification.body["status"] == "firing"
