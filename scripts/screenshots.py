"""Take the README's screenshots from a running native demo (`make demo S=disk-full`).

Kept in the repository so the pictures can be re-taken whenever the UI changes:
    .venv/bin/python scripts/screenshots.py [--prometheus URL] [--exporter URL]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prometheus", default="http://127.0.0.1:9090")
    parser.add_argument("--exporter", default="http://127.0.0.1:9871")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{args.prometheus}/classic/alerts", wait_until="networkidle")
        page.screenshot(path=str(IMG / "demo-alerts.png"), full_page=False)
        page.goto(args.exporter, wait_until="networkidle")
        page.set_viewport_size({"width": 1000, "height": 520})
        page.screenshot(path=str(IMG / "node-exporter-landing.png"))
        browser.close()


if __name__ == "__main__":
    main()
