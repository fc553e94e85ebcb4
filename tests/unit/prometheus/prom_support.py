"""What the Prometheus/Alertmanager tests here share: rule and promtool test file loading.

The rule files are parsed in one place so that the lint, the promtool-coverage checks and the
Alertmanager routing checks all iterate over the same alerts: a rule added to prometheus/rules/
is picked up by every check without touching the tests. The files are parsed once per session
(the loaders are cached), so callers treat what they return as read-only.
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
PROMETHEUS_DIR = REPO_ROOT / "prometheus"
RULES_DIR = PROMETHEUS_DIR / "rules"
RULE_TESTS_DIR = PROMETHEUS_DIR / "tests"

# Prometheus duration units (model.ParseDuration), in seconds.
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


def parse_duration(text: str | int | None) -> float:
    """Seconds in a Prometheus duration such as "90s", "1h30m" or "0m"; None and 0 are 0."""
    if text is None or text == 0:
        return 0.0
    value = str(text)
    parts = _DURATION_PART.findall(value)
    if not parts or "".join(number + unit for number, unit in parts) != value:
        raise ValueError(f"not a Prometheus duration: {value!r}")
    return sum(int(number) * _DURATION_UNITS[unit] for number, unit in parts)


# Runs a tool (see the run_tool fixture); fails the test on a non-zero exit unless told not to.
ToolRunner = Callable[..., subprocess.CompletedProcess[str]]


@dataclass(frozen=True)
class RuleGroup:
    file: Path
    name: str
    rules: list[dict[str, Any]]

    @property
    def is_recording(self) -> bool:
        return all("record" in rule for rule in self.rules)


@dataclass(frozen=True)
class AlertRule:
    """One alerting rule; a warning/critical pair is two of these with the same name."""

    file: Path
    group: str
    name: str
    severity: str
    for_seconds: float
    labels: dict[str, str]
    annotations: dict[str, str]
    expr: str

    @property
    def test_id(self) -> str:
        return f"{self.name}-{self.severity}"


@dataclass(frozen=True)
class RecordingRule:
    file: Path
    group: str
    name: str
    expr: str


@functools.cache
def load_rule_groups() -> list[RuleGroup]:
    groups = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        groups.extend(
            RuleGroup(file=path, name=group["name"], rules=group.get("rules") or [])
            for group in document.get("groups") or []
        )
    return groups


def load_alert_rules() -> list[AlertRule]:
    return [
        AlertRule(
            file=group.file,
            group=group.name,
            name=rule["alert"],
            severity=(rule.get("labels") or {}).get("severity", ""),
            for_seconds=parse_duration(rule.get("for")),
            labels=rule.get("labels") or {},
            annotations=rule.get("annotations") or {},
            expr=rule["expr"],
        )
        for group in load_rule_groups()
        for rule in group.rules
        if "alert" in rule
    ]


def load_recording_rules() -> list[RecordingRule]:
    return [
        RecordingRule(file=group.file, group=group.name, name=rule["record"], expr=rule["expr"])
        for group in load_rule_groups()
        for rule in group.rules
        if "record" in rule
    ]


@functools.cache
def load_rule_test_files() -> dict[Path, dict[str, Any]]:
    return {path: yaml.safe_load(path.read_text()) for path in sorted(RULE_TESTS_DIR.glob("*.test.yml"))}
