"""The Prometheus configuration the native stack generates from prometheus/prometheus.yml: valid for
promtool, and different from the shipped file only where the brief allows (target addresses, rule
file paths, and the intervals when a test shortens them)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from mock.stack import REPO_ROOT, NativeStack, StackError, native_prometheus_config
from mock.stack_parts import all_components

pytestmark = pytest.mark.integration

SOURCE = yaml.safe_load((REPO_ROOT / "prometheus" / "prometheus.yml").read_text())
# A made-up native address for every compose target prometheus.yml scrapes.
COMPOSE_TARGETS = [c.scrape_target for c in all_components() if c.scrape_target]
ADDRESSES = {
    target: f"127.0.0.1:{1001 + index}"
    for index, target in enumerate([*COMPOSE_TARGETS, "prometheus:9090", "alertmanager:9093"])
}


def static_targets(config: dict) -> list[list[str]]:
    return [
        static["targets"]
        for section in [*config["scrape_configs"], *config["alerting"]["alertmanagers"]]
        for static in section.get("static_configs", [])
    ]


def without_targets(config: dict) -> dict:
    """The config with every static target list emptied, to compare everything else."""
    stripped = yaml.safe_load(yaml.safe_dump(config))
    for section in [*stripped["scrape_configs"], *stripped["alerting"]["alertmanagers"]]:
        for static in section.get("static_configs", []):
            static["targets"] = []
    stripped.pop("rule_files")
    return stripped


def test_only_targets_and_rule_files_change():
    native = native_prometheus_config(SOURCE, ADDRESSES, ["/abs/rules/a.yml"])

    assert without_targets(native) == without_targets(SOURCE)
    assert static_targets(native) == [[ADDRESSES[t] for t in targets] for targets in static_targets(SOURCE)]
    assert native["rule_files"] == ["/abs/rules/a.yml"]


def test_a_short_interval_also_caps_the_scrape_timeout():
    native = native_prometheus_config(SOURCE, ADDRESSES, [], interval="1s")

    assert native["global"]["scrape_interval"] == native["global"]["evaluation_interval"] == "1s"
    assert native["global"]["scrape_timeout"] == "1s"


def test_a_target_without_native_counterpart_is_refused():
    source = yaml.safe_load(yaml.safe_dump(SOURCE))
    source["scrape_configs"][0]["static_configs"][0]["targets"].append("no-such-exporter:9999")

    with pytest.raises(StackError, match=r"job 'llmon-node' scrapes no-such-exporter:9999") as refused:
        native_prometheus_config(source, ADDRESSES, [])
    assert refused.value.exit_code == 2


def test_the_generated_file_passes_promtool(stack: NativeStack):
    generated = stack.var_dir / "prometheus" / "prometheus.yml"
    rules = yaml.safe_load(generated.read_text())["rule_files"]

    command = ["promtool", "check", "config", str(generated)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(rules) == sorted(str(p) for p in (REPO_ROOT / "prometheus" / "rules").glob("*.yml"))
    assert all(Path(rule).is_absolute() for rule in rules)
