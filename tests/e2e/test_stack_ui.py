"""Playwright against the native stack's own web pages: Prometheus's targets and alerts pages,
Alertmanager's alert list and the node exporter's landing page.

Prometheus pages are opened where this build serves them (stack.prometheus_page): upstream builds
have the React UI at /targets and /alerts, Debian's package only the classic UI under /classic/.
The checks use text both UIs show ("llmon-node (1/1 up)", "Watchdog (1 active)", a "firing" state).
"""

from __future__ import annotations

import re

import pytest
import yaml
from playwright.sync_api import Page, expect

from mock.stack import REPO_ROOT, NativeStack

pytestmark = pytest.mark.e2e

LANDING_LINKS = ("/metrics", "/healthz", "/readyz")


def configured_jobs() -> list[str]:
    config = yaml.safe_load((REPO_ROOT / "prometheus" / "prometheus.yml").read_text())
    return [job["job_name"] for job in config["scrape_configs"]]


@pytest.mark.parametrize("job", configured_jobs())
def test_prometheus_targets_page_shows_the_job_all_up(stack: NativeStack, page: Page, job: str):
    page.goto(stack.prometheus_page("targets"))

    # "<job> (n/n up)" with the same n on both sides, and at least one target.
    expect(page.get_by_text(re.compile(rf"^\s*{re.escape(job)} \(([1-9]\d*)/\1 up\)\s*$"))).to_be_visible()


def test_prometheus_alerts_page_shows_watchdog_firing(stack: NativeStack, page: Page):
    page.goto(stack.prometheus_page("alerts"))

    page.get_by_text(re.compile(r"^\s*Watchdog \(1 active\)\s*$")).click()

    # The innermost table row holding the Watchdog's labels carries its state.
    instance = page.locator("tr:not(:has(tr))", has_text='alertname="Watchdog"')
    expect(instance).to_be_visible()
    expect(instance).to_contain_text(re.compile("firing", re.IGNORECASE))


def test_alertmanager_ui_lists_watchdog(stack: NativeStack, page: Page):
    if not stack.alertmanager_has_ui():
        pytest.skip(
            "this Alertmanager build has no web UI (Debian's prometheus-alertmanager ships without it);"
            " tests/integration/test_live_targets.py checks the Watchdog through Alertmanager's API"
        )
    page.goto(f"{stack.alertmanager_url}/#/alerts")

    expect(page.get_by_text('alertname="Watchdog"').first).to_be_visible()


@pytest.mark.parametrize("path", LANDING_LINKS)
def test_node_exporter_landing_page_link_opens(stack: NativeStack, page: Page, path: str):
    page.goto(f"{stack.url('node-exporter')}/")
    links = page.locator("a")
    by_path = {
        links.nth(i).evaluate("a => new URL(a.href).pathname"): links.nth(i) for i in range(links.count())
    }
    assert path in by_path, f"the landing page links to {sorted(by_path)}"

    url = f"{stack.url('node-exporter')}{path}"
    with page.expect_response(url) as response:
        by_path[path].click()

    page.wait_for_url(url)
    assert response.value.status == 200
