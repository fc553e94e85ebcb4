"""Fixtures for the Prometheus/Alertmanager tests: per-rule parametrisation and the real binaries."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from prom_support import REPO_ROOT, ToolRunner, load_alert_rules, load_recording_rules


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run per-rule tests once for every alerting or recording rule in prometheus/rules."""
    if "alert_rule" in metafunc.fixturenames:
        alerts = load_alert_rules()
        metafunc.parametrize("alert_rule", alerts, ids=[alert.test_id for alert in alerts])
    if "recording_rule" in metafunc.fixturenames:
        records = load_recording_rules()
        metafunc.parametrize("recording_rule", records, ids=[record.name for record in records])


def _installed(names: tuple[str, ...], package: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(f"{names[0]} is not installed (Debian package {package})")


@pytest.fixture(scope="session")
def promtool() -> str:
    return _installed(("promtool",), "prometheus")


@pytest.fixture(scope="session")
def amtool() -> str:
    return _installed(("amtool",), "prometheus-alertmanager")


@pytest.fixture(scope="session")
def alertmanager_binary() -> str:
    return _installed(("alertmanager", "prometheus-alertmanager"), "prometheus-alertmanager")


@pytest.fixture(scope="session")
def run_tool() -> ToolRunner:
    """Run a tool from the repository root; a non-zero exit fails the test with its output."""

    def run(
        *args: str, cwd: Path = REPO_ROOT, expect_success: bool = True
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
        if expect_success and proc.returncode != 0:
            pytest.fail(
                f"{' '.join(args)} exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}",
                pytrace=False,
            )
        return proc

    return run
