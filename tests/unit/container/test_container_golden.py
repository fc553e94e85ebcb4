"""Golden exposition of the container exporter's docker source over the Docker twin, and promtool's lint.

The twin answers at a fixed wall clock (FIXED_NOW) with the scenario clock frozen at container-oom
t=250 s: the larger vLLM engine was OOM-killed at 240 s and is restarting, everything else runs. So
the output is byte-stable: ids, names, images, labels, states, health, exit codes, start times, CPU,
memory, network and block I/O all come from the seed and the scenario engine.

Regenerate tests/fixtures/container/container-oom-250s.prom after an intended change with:

    LLMON_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/container/test_container_golden.py -p no:cacheprovider

and review the diff like code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporters.container.api import DockerApi
from exporters.container.collector import DockerCollector
from exporters.container.config import ContainerSettings
from mock.twins.docker.server import DockerTwin
from tests.unit.mock_clock import play

GOLDEN = Path(__file__).parents[2] / "fixtures" / "container" / "container-oom-250s.prom"
FIXED_NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
SCENARIO, AT = "container-oom", 250.0


class _Families:
    """A registry-shaped wrapper: generate_latest() renders whatever collect() returns."""

    def __init__(self, families: list) -> None:
        self._families = families

    def collect(self) -> list:
        return self._families


def render(db_path: Path, make_twin: Callable[..., DockerTwin]) -> str:
    play(db_path, SCENARIO, AT)
    twin = make_twin(clock=lambda: FIXED_NOW)
    settings = ContainerSettings(
        docker_host=twin.base_url, events=False, collect_timeout=30.0, stats_deadline=20.0
    )
    collector = DockerCollector(DockerApi(twin.base_url, timeout=10.0), settings)
    try:
        return generate_latest(_Families(list(collector.collect()))).decode()
    finally:
        collector.close()


def test_output_matches_golden_file(db_path: Path, make_twin: Callable[..., DockerTwin]) -> None:
    text = render(db_path, make_twin)
    if os.environ.get("LLMON_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text)
    assert GOLDEN.exists(), f"{GOLDEN} is missing: run with LLMON_UPDATE_GOLDEN=1 to create it"
    assert text == GOLDEN.read_text(), f"output differs from {GOLDEN}; LLMON_UPDATE_GOLDEN=1 rewrites it"


def test_golden_file_shows_the_scenario() -> None:
    """The fixture is worth comparing against: the OOM-killed engine and its restart are in it."""
    found = [
        (family.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(GOLDEN.read_text())
        for sample in family.samples
    ]
    restarting = [
        labels["name"]
        for name, labels, v in found
        if name == "llmon_container_state" and labels["state"] == "restarting" and v == 1
    ]
    oom_killed = [labels["name"] for name, labels, v in found if name == "llmon_container_oom_killed" and v]
    cpu = [labels["name"] for name, labels, _ in found if name == "llmon_container_cpu_usage_seconds"]

    assert len(restarting) == 1 and restarting[0].startswith("llm-vllm-")
    assert oom_killed == restarting
    assert len(cpu) >= 10 and restarting[0] not in cpu  # stats only for running containers


def test_golden_file_passes_promtool_lint() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not on PATH")
    result = subprocess.run(
        [promtool, "check", "metrics"], input=GOLDEN.read_text(), capture_output=True, text=True, check=False
    )

    assert (result.returncode, (result.stdout + result.stderr).strip()) == (0, "")
