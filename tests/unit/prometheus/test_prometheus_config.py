"""prometheus/prometheus.yml: the shared contract (jobs, targets, rule files, Alertmanager) that
the compose stack, the native demo and the integration tests rely on, and the file_sd fleet files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from prom_support import PROMETHEUS_DIR, RULES_DIR, ToolRunner

CONFIG = PROMETHEUS_DIR / "prometheus.yml"
FILE_SD_DIR = PROMETHEUS_DIR / "file_sd"
FLEET_EXAMPLE = FILE_SD_DIR / "llmon-node.example.yml"
NODE_EXPORTER_PORT = "9871"
# Job name -> static targets, as fixed in the team contract (compose service names and ports).
CONTRACT_TARGETS = {
    "llmon-node": ["node-exporter:9871"],
    "llmon-gpu": ["gpu-exporter:9872"],
    "llmon-container": ["container-exporter:9873"],
    "llmon-litellm": ["litellm-exporter:9875"],
    "llmon-langfuse": ["langfuse-exporter:9876"],
    "llmon-vllm": ["vllm-exporter:9874"],
    "prometheus": ["prometheus:9090"],
    "alertmanager": ["alertmanager:9093"],
}


def _config() -> dict[str, Any]:
    return yaml.safe_load(CONFIG.read_text())


def _static_targets(section: dict[str, Any]) -> list[str]:
    return [target for static in section.get("static_configs") or [] for target in static["targets"]]


def test_scrape_jobs_and_static_targets_match_the_contract() -> None:
    jobs = {job["job_name"]: _static_targets(job) for job in _config()["scrape_configs"]}
    assert jobs == CONTRACT_TARGETS


def test_global_intervals_and_no_external_labels() -> None:
    global_section = _config()["global"]
    assert global_section["scrape_interval"] == "15s"
    assert global_section["evaluation_interval"] == "15s"
    assert "external_labels" not in global_section, "external labels would change every alert's label set"


def test_rules_are_loaded_by_a_glob_beside_the_config() -> None:
    config = _config()
    assert config["rule_files"] == ["rules/*.yml"]
    loaded = sorted(path for pattern in config["rule_files"] for path in CONFIG.parent.glob(pattern))
    assert loaded == sorted(RULES_DIR.glob("*.yml"))


def test_alerts_go_to_the_alertmanager_service() -> None:
    managers = _config()["alerting"]["alertmanagers"]
    assert [target for manager in managers for target in _static_targets(manager)] == ["alertmanager:9093"]


def test_node_job_reads_the_fleet_directory() -> None:
    (node_job,) = [job for job in _config()["scrape_configs"] if job["job_name"] == "llmon-node"]
    files = [pattern for sd in node_job["file_sd_configs"] for pattern in sd["files"]]
    assert files == ["file_sd/llmon-node/*.yml"]


def test_shipped_fleet_file_adds_no_targets() -> None:
    """The compose stack and the demo must scrape only their own exporter out of the box."""
    shipped = sorted((FILE_SD_DIR / "llmon-node").glob("*.yml"))
    assert shipped, "the fleet directory keeps one (empty) file so the glob always matches"
    for path in shipped:
        assert yaml.safe_load(path.read_text()) == [], f"{path.name} adds targets"


def test_fleet_example_lists_node_exporters_with_plain_labels() -> None:
    groups = yaml.safe_load(FLEET_EXAMPLE.read_text())
    assert groups, "the example shows at least one target group"
    for group in groups:
        assert group["targets"], "a target group without targets"
        for target in group["targets"]:
            host, _, port = target.rpartition(":")
            assert host and port == NODE_EXPORTER_PORT, f"{target} is not host:{NODE_EXPORTER_PORT}"
        for name in group.get("labels") or {}:
            assert name not in {"job", "instance"} and not name.startswith("__"), f"label {name} is reserved"


def _config_with_fleet_file(destination: Path, fleet_text: str) -> Path:
    """A copy of prometheus/ whose fleet directory holds one file with `fleet_text`."""
    shutil.copy(CONFIG, destination / CONFIG.name)
    shutil.copytree(RULES_DIR, destination / "rules")
    fleet_dir = destination / "file_sd" / "llmon-node"
    fleet_dir.mkdir(parents=True)
    (fleet_dir / "fleet.yml").write_text(fleet_text)
    return destination / CONFIG.name


@pytest.mark.integration
def test_promtool_accepts_the_fleet_example(promtool: str, run_tool: ToolRunner, tmp_path: Path) -> None:
    config = _config_with_fleet_file(tmp_path, FLEET_EXAMPLE.read_text())
    result = run_tool(promtool, "check", "config", str(config))
    assert "WARNING" not in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.integration
def test_promtool_rejects_a_broken_fleet_file(promtool: str, run_tool: ToolRunner, tmp_path: Path) -> None:
    """Shows the check above reads the fleet file rather than passing whatever it holds."""
    config = _config_with_fleet_file(tmp_path, "- targets: gpu-node-01:9871\n")
    result = run_tool(promtool, "check", "config", str(config), expect_success=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "file_sd/llmon-node" in output and "cannot unmarshal" in output, output
