"""Playwright smoke test of every provisioned dashboard in a running Grafana.

There is no Grafana binary in this environment, so the test runs only when GRAFANA_URL points
at a Grafana that provisions grafana/ from this repository (the compose stack, mock overlay).
It reads the panel titles from the committed JSON, so a panel added to a dashboard is checked
without touching this file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Response, expect, sync_playwright

from grafana.dashboards_src.queries import EMPTY_WHEN_HEALTHY

GRAFANA_URL = os.environ.get("GRAFANA_URL", "").rstrip("/")
GRAFANA_USER = os.environ.get("GRAFANA_USER", "admin")
GRAFANA_PASSWORD = os.environ.get("GRAFANA_PASSWORD", "admin")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DASHBOARDS_DIR = Path(__file__).resolve().parents[2] / "grafana" / "dashboards"
VIEWPORT = {"width": 1600, "height": 1000}
# Half-viewport scroll steps allowed to bring every panel into view (dozens of screens).
MAX_SCROLL_STEPS = 60

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not GRAFANA_URL, reason="GRAFANA_URL not set: no Grafana binary here"),
]


def _load_dashboards() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(DASHBOARDS_DIR.glob("*.json"))]


DASHBOARDS = _load_dashboards()


def _data_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels = [p for row in dashboard["panels"] for p in [row, *row.get("panels", [])]]
    return [p for p in panels if p["type"] != "row"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A logged-in page; the login cookie lives in this test's own browser context."""
    context = browser.new_context(viewport=VIEWPORT)
    response = context.request.post(
        f"{GRAFANA_URL}/login", data={"user": GRAFANA_USER, "password": GRAFANA_PASSWORD}
    )
    assert response.ok, f"login to {GRAFANA_URL} as {GRAFANA_USER} failed: HTTP {response.status}"
    page = context.new_page()
    yield page
    context.close()


def _header(title: str) -> str:
    return f"data-testid Panel header {title}"


def _reveal_all_panels(page: Page, titles: list[str]) -> None:
    """Scroll down half a viewport at a time until every panel has rendered.

    Grafana renders a panel only once it has been scrolled into view; a bounded number of
    steps keeps a missing panel from scrolling forever (the assertions then name it).
    """
    page.mouse.move(VIEWPORT["width"] / 2, VIEWPORT["height"] / 2)
    for _ in range(MAX_SCROLL_STEPS):
        if all(page.get_by_test_id(_header(title)).count() for title in titles):
            return
        page.mouse.wheel(0, VIEWPORT["height"] // 2)
        page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=[d["uid"] for d in DASHBOARDS])
def test_dashboard_shows_every_panel_with_data(page: Page, dashboard: dict[str, Any]) -> None:
    failed_queries: list[str] = []

    def record_failure(response: Response) -> None:
        if "/api/ds/query" in response.url and not response.ok:
            failed_queries.append(f"HTTP {response.status} {response.url}")

    page.on("response", record_failure)
    page.goto(f"{GRAFANA_URL}/d/{dashboard['uid']}?from=now-15m&to=now", wait_until="networkidle")
    titles = [panel["title"] for panel in _data_panels(dashboard)]
    _reveal_all_panels(page, titles)

    allowed_empty = {
        key.split("/", 1)[1] for key in EMPTY_WHEN_HEALTHY if key.split("/", 1)[0] == dashboard["uid"]
    }
    for title in titles:
        container = page.get_by_test_id(_header(title))
        expect(container, f"panel {title!r} missing").to_have_count(1)
        if title not in allowed_empty:
            expect(container.get_by_text("No data", exact=True), f"{title!r} shows No data").to_have_count(0)
    expect(page.get_by_test_id("data-testid Panel status error"), "a panel shows an error").to_have_count(0)
    assert failed_queries == []
