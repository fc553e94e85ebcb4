"""Fixtures shared by every suite: one seed database per session; for the integration and e2e suites,
one native stack per session and one browser.

The stack runs the repository's prometheus.yml and rules against the mock twins on free ports, with
1 s scrape and rule evaluation so a scenario switch shows within seconds.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mock.seed.generate import build_seed
from mock.stack import REQUIRED_BINARIES, NativeStack, StackError, find_binary

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SEED = 42
STACK_INTERVAL = "1s"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def pristine_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed database, built once; tests only read it or copy it (see ``db_path``)."""
    path = tmp_path_factory.mktemp("seed") / "mock.db"
    build_seed(SEED, path)
    return path


@pytest.fixture
def db_path(pristine_db: Path, tmp_path: Path) -> Path:
    """A private copy of the seed database that a test may change (its clock, its scenario)."""
    path = tmp_path / "mock.db"
    shutil.copyfile(pristine_db, path)
    return path


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NativeStack]:
    """The native stack on scenario normal; tests that switch scenario switch back when done. The
    Prometheus admin API is on so scenario tests can start each scenario from empty history."""
    try:
        for name in REQUIRED_BINARIES:
            find_binary(name)
    except StackError as missing:
        pytest.skip(str(missing))
    native = NativeStack(
        tmp_path_factory.mktemp("stack"), interval=STACK_INTERVAL, ready_timeout=60, admin_api=True
    )
    try:
        native.start()
    except StackError as error:
        pytest.fail(f"native stack did not start: {error}\n{error.detail}", pytrace=False)
    try:
        yield native
    finally:
        native.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium driven by Playwright (Playwright's own browser download is not available)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install it with: sudo apt-get install chromium")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only the e2e suite needs it

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context and page per test, so no state leaks between tests."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()
