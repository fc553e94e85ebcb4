"""Prometheus rules: promtool's checks, the alert conventions, and the promtool test coverage.

The conventions are the monitoring-mixins ones that mixtool lints (CamelCase names of at most
40 characters, a known severity, a static summary sentence, a templated description, groups of
at most 20 rules with names of at most 40 characters) plus llmon's own: runbook links generated
from one pattern and pointing at an existing docs/runbooks.md section, and every alert tested by
promtool on both sides of its `for:` and against healthy input.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml
from prom_support import (
    REPO_ROOT,
    RULE_TESTS_DIR,
    RULES_DIR,
    AlertRule,
    RecordingRule,
    ToolRunner,
    load_alert_rules,
    load_rule_groups,
    load_rule_test_files,
    parse_duration,
)

RUNBOOKS = REPO_ROOT / "docs" / "runbooks.md"
RUNBOOK_URL = "https://github.com/llmon/llmon/blob/main/docs/runbooks.md#{anchor}"
# Dashboard links open a provisioned dashboard by its fixed uid (DESIGN section 5).
# A dashboard link must open one of the dashboards this repository provisions.
DASHBOARD_UIDS = sorted(path.stem for path in (REPO_ROOT / "grafana" / "dashboards").glob("*.json"))
DASHBOARD_URL = re.compile(rf"^http://localhost:3000/d/({'|'.join(map(re.escape, DASHBOARD_UIDS))})\?var-")
SEVERITIES = {"critical", "warning", "info"}
# Meta-alerts that fire unconditionally: severity "none" and no `for:`.
META_ALERTS = {"Watchdog"}
REQUIRED_ANNOTATIONS = {"summary", "description", "runbook_url"}
CAMEL_CASE = re.compile(r"^([A-Z]+[a-z0-9]+)+$")
SUMMARY_STYLE = re.compile(r"^[A-Z].+\.$")
RECORD_NAME = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")
RUNBOOK_SUBSECTIONS = ("### Meaning", "### Impact", "### Diagnosis", "### Mitigation")
MAX_NAME_LENGTH = 40
MAX_RULES_PER_GROUP = 20
ONE_MINUTE = 60.0


def _repo_relative(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(REPO_ROOT)) for path in paths]


# --------------------------------------------------------------------------- promtool itself


@pytest.mark.integration
def test_promtool_check_config(promtool: str, run_tool: ToolRunner) -> None:
    result = run_tool(promtool, "check", "config", "prometheus/prometheus.yml")
    assert "WARNING" not in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.integration
def test_promtool_check_rules(promtool: str, run_tool: ToolRunner) -> None:
    run_tool(promtool, "check", "rules", *_repo_relative(sorted(RULES_DIR.glob("*.yml"))))


@pytest.mark.integration
def test_promtool_rule_unit_tests(promtool: str, run_tool: ToolRunner) -> None:
    run_tool(promtool, "test", "rules", *_repo_relative(sorted(RULE_TESTS_DIR.glob("*.test.yml"))))


def _copy_with_for(alert_rule: AlertRule, for_seconds: float, destination: Path) -> list[Path]:
    """Copy the rules with one alert's `for:` set to `for_seconds`, and the promtool tests of that alert.

    Only the test groups that evaluate the alert are kept, which keeps each promtool run short.
    """
    shutil.copytree(RULES_DIR, destination / "rules")
    rule_file = destination / "rules" / alert_rule.file.name
    document = yaml.safe_load(rule_file.read_text())
    matches = [
        rule
        for group in document["groups"]
        for rule in group["rules"]
        if rule.get("alert") == alert_rule.name and rule["labels"]["severity"] == alert_rule.severity
    ]
    assert len(matches) == 1, f"{alert_rule.test_id} is defined {len(matches)} times"
    matches[0]["for"] = f"{int(for_seconds)}s"
    rule_file.write_text(yaml.safe_dump(document, sort_keys=False))

    (destination / "tests").mkdir()
    written = []
    for path, test_document in load_rule_test_files().items():
        tests = [
            test
            for test in test_document.get("tests") or []
            if any(case["alertname"] == alert_rule.name for case in test.get("alert_rule_test") or [])
        ]
        if tests:
            copy = destination / "tests" / path.name
            copy.write_text(yaml.safe_dump({**test_document, "tests": tests}, sort_keys=False))
            written.append(copy)
    return written


@pytest.mark.integration
@pytest.mark.parametrize("shift", [-ONE_MINUTE, ONE_MINUTE], ids=["for-1m", "for+1m"])
def test_promtool_tests_notice_a_moved_for(
    alert_rule: AlertRule, shift: float, promtool: str, run_tool: ToolRunner, tmp_path: Path
) -> None:
    """Moving any alert's `for:` by one minute either way must break a promtool test.

    That is what "tested on both sides of its `for:`" means in practice: one evaluation
    proves the alert is not firing yet, the next that it fires.
    """
    moved = alert_rule.for_seconds + shift
    if moved < 0:
        pytest.skip(f"{alert_rule.name} has no `for:` to shorten")
    test_files = _copy_with_for(alert_rule, moved, tmp_path)
    assert test_files, f"no promtool test evaluates {alert_rule.name}"
    result = run_tool(
        promtool, "test", "rules", *[str(path) for path in test_files], cwd=tmp_path, expect_success=False
    )
    assert result.returncode != 0, (
        f"promtool tests still pass with {alert_rule.test_id} `for:` moved to {moved:.0f}s:\n{result.stdout}"
    )


# ------------------------------------------------------------------------ alert conventions


def test_alert_name_is_camel_case_and_short(alert_rule: AlertRule) -> None:
    assert CAMEL_CASE.match(alert_rule.name), f"{alert_rule.name} is not CamelCase"
    assert len(alert_rule.name) <= MAX_NAME_LENGTH


def test_alert_severity_is_known(alert_rule: AlertRule) -> None:
    allowed = {"none"} if alert_rule.name in META_ALERTS else SEVERITIES
    assert alert_rule.severity in allowed, f"{alert_rule.test_id}: severity must be one of {sorted(allowed)}"


def test_alert_has_required_annotations(alert_rule: AlertRule) -> None:
    missing = REQUIRED_ANNOTATIONS - alert_rule.annotations.keys()
    assert not missing, f"{alert_rule.test_id} lacks {sorted(missing)}"


def test_alert_summary_is_a_static_sentence(alert_rule: AlertRule) -> None:
    summary = alert_rule.annotations.get("summary", "")
    assert "{{" not in summary, f"{alert_rule.test_id}: summary must not be templated"
    assert SUMMARY_STYLE.match(summary), f"{alert_rule.test_id}: summary {summary!r} is not a sentence"


def test_alert_description_is_templated(alert_rule: AlertRule) -> None:
    description = alert_rule.annotations.get("description", "")
    assert re.search(r"\{\{.+?\}\}", description), f"{alert_rule.test_id}: description has no template"


def test_alert_runbook_url_follows_the_pattern(alert_rule: AlertRule) -> None:
    expected = RUNBOOK_URL.format(anchor=alert_rule.name.lower())
    assert alert_rule.annotations.get("runbook_url") == expected


def test_alert_dashboard_url_opens_a_provisioned_dashboard(alert_rule: AlertRule) -> None:
    url = alert_rule.annotations.get("dashboard_url")
    if alert_rule.name in META_ALERTS:
        assert url is None, "meta-alerts have no dashboard"
        return
    assert url is not None and DASHBOARD_URL.match(url), f"{alert_rule.test_id}: dashboard_url {url!r}"
    assert "{{ $labels.instance | urlquery }}" in url, "the link must select the alert's instance"


def test_alert_for_duration(alert_rule: AlertRule) -> None:
    if alert_rule.name in META_ALERTS:
        assert alert_rule.for_seconds == 0, f"{alert_rule.name} must fire on the first evaluation"
    else:
        assert alert_rule.for_seconds > 0, f"{alert_rule.test_id} needs a `for:`"


def test_paired_alerts_differ_in_severity() -> None:
    counts = Counter((alert.name, alert.severity) for alert in load_alert_rules())
    duplicates = [f"{name}/{severity}" for (name, severity), count in counts.items() if count > 1]
    assert not duplicates, f"same name and severity defined twice: {duplicates}"


def test_rule_groups_respect_mixin_limits() -> None:
    groups = load_rule_groups()
    for group in groups:
        assert len(group.name) <= MAX_NAME_LENGTH, f"group name {group.name!r} is too long"
        assert 0 < len(group.rules) <= MAX_RULES_PER_GROUP, (
            f"group {group.name!r} has {len(group.rules)} rules"
        )
    names = Counter(group.name for group in groups)
    assert all(count == 1 for count in names.values()), f"duplicate group names: {names}"


def test_recording_rule_name_is_level_metric_operations(recording_rule: RecordingRule) -> None:
    assert RECORD_NAME.match(recording_rule.name), f"{recording_rule.name} is not level:metric:operations"


# ---------------------------------------------------------------------------- runbooks.md


def _github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower-cased, punctuation dropped, spaces to '-'."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def _runbook_sections() -> dict[str, str]:
    """Level-2 sections of docs/runbooks.md by anchor."""
    sections: dict[str, str] = {}
    for chunk in re.split(r"^## ", RUNBOOKS.read_text(), flags=re.MULTILINE)[1:]:
        heading, _, body = chunk.partition("\n")
        sections[_github_anchor(heading)] = body
    return sections


def test_runbook_has_a_section_for_the_alert(alert_rule: AlertRule) -> None:
    section = _runbook_sections().get(alert_rule.name.lower())
    assert section is not None, f"docs/runbooks.md has no '## {alert_rule.name}' section"
    missing = [heading for heading in RUNBOOK_SUBSECTIONS if heading not in section]
    assert not missing, f"runbook section {alert_rule.name} lacks {missing}"
    if alert_rule.name not in META_ALERTS:
        assert "```promql" in section, f"runbook section {alert_rule.name} has no PromQL diagnosis"


def test_runbook_sections_are_all_alerts() -> None:
    alerts = {alert.name.lower() for alert in load_alert_rules()}
    stray = sorted(set(_runbook_sections()) - alerts)
    assert not stray, f"docs/runbooks.md has sections for alerts that do not exist: {stray}"


def _runbook_queries() -> list[str]:
    """The PromQL queries in docs/runbooks.md: ```promql blocks, one query per blank-line paragraph."""
    blocks = re.findall(r"```promql\n(.*?)```", RUNBOOKS.read_text(), flags=re.DOTALL)
    return [
        " ".join(line.strip() for line in paragraph.splitlines())
        for block in blocks
        for paragraph in re.split(r"\n\s*\n", block)
        if paragraph.strip()
    ]


@pytest.mark.integration
def test_runbook_queries_are_valid_promql(promtool: str, run_tool: ToolRunner, tmp_path: Path) -> None:
    """promtool parses every query, wrapped as recording rules, so a pasted diagnosis step works."""
    queries = _runbook_queries()
    assert queries, "docs/runbooks.md has no ```promql blocks"
    rules = [{"record": f"runbook:query{index}:check", "expr": query} for index, query in enumerate(queries)]
    rule_file = tmp_path / "runbook-queries.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "runbook-queries", "rules": rules}]}))
    run_tool(promtool, "check", "rules", str(rule_file))


# -------------------------------------------------------------------- promtool test coverage


@dataclass(frozen=True)
class AlertEvaluation:
    """One alert_rule_test entry: when it evaluates and which severities it expects firing."""

    eval_seconds: float
    firing: frozenset[str]
    exp_alerts: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class AlertTestGroup:
    file: Path
    name: str
    step_seconds: float
    evaluations: tuple[AlertEvaluation, ...]


def _alert_test_groups(alert_name: str) -> list[AlertTestGroup]:
    """Every promtool test group with evaluations of `alert_name`, in eval_time order."""
    groups = []
    for path, document in load_rule_test_files().items():
        step = parse_duration(document.get("evaluation_interval", "1m"))
        for test in document.get("tests") or []:
            evaluations = sorted(
                (
                    AlertEvaluation(
                        eval_seconds=parse_duration(case["eval_time"]),
                        firing=frozenset(
                            alert["exp_labels"].get("severity", "") for alert in case.get("exp_alerts") or []
                        ),
                        exp_alerts=tuple(case.get("exp_alerts") or []),
                    )
                    for case in test.get("alert_rule_test") or []
                    if case["alertname"] == alert_name
                ),
                key=lambda evaluation: evaluation.eval_seconds,
            )
            if evaluations:
                groups.append(AlertTestGroup(path, test.get("name", ""), step, tuple(evaluations)))
    return groups


def _brackets_for(group: AlertTestGroup, alert_rule: AlertRule) -> bool:
    """True when two consecutive evaluations one step apart show the alert not firing, then firing.

    Conditions built on rate() or predict_linear() start to hold a minute or two into a test, so
    the bracket is found relative to the data rather than at exactly eval_time == for.
    """
    if alert_rule.for_seconds == 0:
        return any(e.eval_seconds == 0 and alert_rule.severity in e.firing for e in group.evaluations)
    return any(
        alert_rule.severity not in before.firing
        and alert_rule.severity in after.firing
        and after.eval_seconds - before.eval_seconds <= group.step_seconds
        and after.eval_seconds >= alert_rule.for_seconds
        for before, after in pairwise(group.evaluations)
    )


def test_alert_is_tested_on_both_sides_of_its_for(alert_rule: AlertRule) -> None:
    groups = _alert_test_groups(alert_rule.name)
    assert any(_brackets_for(group, alert_rule) for group in groups), (
        f"no promtool test shows {alert_rule.test_id} silent one evaluation before its "
        f"for: {alert_rule.for_seconds:.0f}s elapses and firing when it does"
    )


def test_alert_has_a_quiet_test(alert_rule: AlertRule) -> None:
    """Healthy (or almost-bad) input must be shown never to fire, for longer than the `for:`."""
    if alert_rule.name in META_ALERTS:
        pytest.skip(f"{alert_rule.name} fires unconditionally")
    quiet = [
        group
        for group in _alert_test_groups(alert_rule.name)
        if all(not evaluation.firing for evaluation in group.evaluations)
        and group.evaluations[-1].eval_seconds > alert_rule.for_seconds
    ]
    assert quiet, f"no promtool test shows {alert_rule.name} staying quiet on healthy input"


def test_expected_alerts_assert_labels_and_every_annotation(alert_rule: AlertRule) -> None:
    expectations = [
        alert
        for group in _alert_test_groups(alert_rule.name)
        for evaluation in group.evaluations
        for alert in evaluation.exp_alerts
        if alert["exp_labels"].get("severity") == alert_rule.severity
    ]
    assert expectations, f"no promtool test expects {alert_rule.test_id} to fire"
    for alert in expectations:
        assert alert["exp_labels"].items() >= alert_rule.labels.items()
        assert set(alert.get("exp_annotations") or {}) == set(alert_rule.annotations), (
            f"{alert_rule.test_id}: exp_annotations must assert every annotation"
        )


def test_recording_rule_has_a_promql_test(recording_rule: RecordingRule) -> None:
    tested = [
        case
        for document in load_rule_test_files().values()
        for test in document.get("tests") or []
        for case in test.get("promql_expr_test") or []
        if case["expr"].strip() == recording_rule.name and case.get("exp_samples")
    ]
    assert tested, f"no promql_expr_test checks the values of {recording_rule.name}"


def test_test_files_that_chain_groups_fix_their_order() -> None:
    """Alerts read recording rules; promtool evaluates groups in random order unless told.

    A test file loading several rule files must list every group in group_eval_order, or the
    alert sees the recording rule one evaluation late in some runs and the bracket tests flake.
    """
    groups_by_file: dict[str, list[str]] = defaultdict(list)
    for group in load_rule_groups():
        groups_by_file[group.file.name].append(group.name)
    for path, document in load_rule_test_files().items():
        rule_files = [Path(name).name for name in document.get("rule_files") or []]
        if len(rule_files) < 2:
            continue
        expected = [name for file in rule_files for name in groups_by_file[file]]
        assert sorted(document.get("group_eval_order") or []) == sorted(expected), path.name
        recording = [
            group.name for group in load_rule_groups() if group.is_recording and group.name in expected
        ]
        assert document["group_eval_order"][: len(recording)] == recording, (
            f"{path.name}: recording groups must be evaluated first"
        )


def test_every_rule_file_is_loaded_by_a_promtool_test_file() -> None:
    tested = {
        (path.parent / name).resolve()
        for path, document in load_rule_test_files().items()
        for name in document.get("rule_files") or []
    }
    untested = sorted(path.name for path in RULES_DIR.glob("*.yml") if path not in tested)
    assert not untested, f"rule files no promtool test loads: {untested}"
