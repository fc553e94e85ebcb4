"""Dashboard lint mirroring grafana/dashboard-linter and mixtool: ``python -m grafana.dashboards_src.lint``.

Neither Go tool can be installed here, so the rules that matter for llmon are reimplemented
under dashboard-linter's rule names, with its ``.lint`` exclusion file format (every exclusion
states a reason). It reads the JSON Grafana will load, not the Python that generated it, so a
hand edit of the JSON is checked just the same.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grafana import DASHBOARDS_DIR
from grafana.dashboards_src.promql import PromQLSyntaxError, selectors
from grafana.dashboards_src.queries import iter_panels

PROG = "python -m grafana.dashboards_src.lint"
EXCLUSIONS_FILE = ".lint"

DATASOURCE_VARIABLE = "${datasource}"
# Datasources a panel may name instead of the variable: Loki's own variable for log panels and
# Grafana's built-in source for annotation/alert-list style panels.
ALLOWED_DATASOURCE_UIDS = frozenset({DATASOURCE_VARIABLE, "${loki_datasource}", "-- Grafana --", "grafana"})
# Panels that show no query results and so carry neither unit nor targets.
NON_DATA_PANELS = frozenset({"row", "text", "alertlist", "dashlist", "news", "annolist"})
RATE_FUNCTIONS = frozenset({"rate", "irate", "increase"})
COUNTER_FUNCTIONS = RATE_FUNCTIONS | {"resets"}
RATE_INTERVAL = "$__rate_interval"
GRID_COLUMNS = 24
UID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
LABEL_VALUES = re.compile(r"^\s*label_values\((?P<selector>.*),\s*(?P<label>\w+)\s*\)\s*$", re.DOTALL)

# Grafana unit ids (grafana-data valueFormats/categories.ts) that llmon dashboards may use.
VALID_UNITS = frozenset(
    {
        # misc
        "none", "string", "short", "sishort", "percent", "percentunit", "humidity", "dB", "hex",
        "hex0x", "sci", "locale", "pixel",
        # data
        "bytes", "decbytes", "bits", "decbits", "kbytes", "deckbytes", "mbytes", "decmbytes",
        "gbytes", "decgbytes", "tbytes", "dectbytes",
        # data rate
        "pps", "Bps", "binBps", "bps", "binbps", "KBs", "KiBs", "MBs", "MiBs", "GBs", "GiBs",
        "Kbits", "Mbits", "Gbits",
        # throughput
        "cps", "ops", "reqps", "rps", "wps", "iops", "eventsps", "cpm", "opm", "rpm", "wpm",
        # time
        "hertz", "ns", "µs", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms",
        "dtdhms", "clockms", "clocks",
        # temperature, energy
        "celsius", "fahrenheit", "kelvin", "watt", "kwatt", "watth", "kwatth", "joule", "volt",
        "amp",
        # boolean and dates
        "bool", "bool_yes_no", "bool_on_off", "dateTimeAsIso", "dateTimeAsSystem", "dateTimeFromNow",
        # currency
        "currencyUSD",
    }
)  # fmt: skip


# Every rule this lint enforces, under dashboard-linter's names where it has one.
RULES = frozenset(
    {
        "dashboard-title-rule", "dashboard-uid-rule", "dashboard-no-id-rule", "uneditable-dashboard",
        "template-datasource-rule", "template-job-rule", "template-instance-rule",
        "template-on-time-change-reload-rule", "template-label-promql-rule",
        "panel-datasource-rule", "panel-title-description-rule", "panel-units-rule",
        "panel-no-targets-rule", "panel-title-unique-rule", "panel-id-unique-rule", "panel-gridpos-rule",
        "target-promql-rule", "target-rate-interval-rule", "target-counter-agg-rule",
        "target-job-rule", "target-instance-rule",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Violation:
    """One broken rule, located by dashboard title and panel title like dashboard-linter."""

    rule: str
    dashboard: str
    panel: str | None
    message: str

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown lint rule {self.rule!r}")

    def __str__(self) -> str:
        where = self.dashboard if self.panel is None else f"{self.dashboard} / {self.panel}"
        return f"[{self.rule}] {where}: {self.message}"


@dataclass(frozen=True)
class Exclusion:
    """A ``.lint`` entry: ``rule`` is not enforced for this dashboard (and panel, if given)."""

    rule: str
    reason: str
    dashboard: str | None = None
    panel: str | None = None

    def covers(self, violation: Violation) -> bool:
        return (
            self.rule == violation.rule
            and self.dashboard in (None, violation.dashboard)
            and self.panel in (None, violation.panel)
        )


class LintConfigError(ValueError):
    """Unreadable input: a malformed ``.lint`` file (an exclusion without a reason counts) or JSON."""


def load_exclusions(path: Path) -> list[Exclusion]:
    """Read dashboard-linter's ``.lint`` format; a missing file means no exclusions."""
    if not path.exists():
        return []
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict) or not isinstance(document.get("exclusions", {}), dict):
        raise LintConfigError(f"{path}: expected a mapping with an 'exclusions' mapping")
    exclusions: list[Exclusion] = []
    for rule, spec in document.get("exclusions", {}).items():
        if rule not in RULES:
            raise LintConfigError(f"{path}: unknown rule {rule}")
        if not isinstance(spec, dict) or not str(spec.get("reason", "")).strip():
            raise LintConfigError(f"{path}: exclusion of {rule} needs a reason")
        entries = spec.get("entries") or [{}]
        for entry in entries:
            exclusions.append(Exclusion(rule, spec["reason"], entry.get("dashboard"), entry.get("panel")))
    return exclusions


# ---- dashboard-level rules -------------------------------------------------------------------

Check = Callable[[Mapping[str, Any], str], Iterator[Violation]]


def _variables(dashboard: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {v.get("name", ""): v for v in dashboard.get("templating", {}).get("list", [])}


def check_identity(dashboard: Mapping[str, Any], stem: str) -> Iterator[Violation]:
    title = dashboard.get("title") or stem
    uid = dashboard.get("uid")
    if not dashboard.get("title"):
        yield Violation("dashboard-title-rule", title, None, "dashboard has no title")
    if not isinstance(uid, str) or not UID_PATTERN.match(uid):
        yield Violation("dashboard-uid-rule", title, None, f"uid {uid!r} is not a stable lower-case slug")
    elif uid != stem:
        yield Violation("dashboard-uid-rule", title, None, f"uid {uid!r} differs from file name {stem!r}")
    if dashboard.get("id") is not None:
        yield Violation("dashboard-no-id-rule", title, None, "numeric id is instance-specific; remove it")
    if dashboard.get("editable") is not False:
        yield Violation(
            "uneditable-dashboard", title, None, "editable must be false for provisioned dashboards"
        )


def check_variables(dashboard: Mapping[str, Any], stem: str) -> Iterator[Violation]:
    title = dashboard.get("title") or stem
    variables = _variables(dashboard)
    datasource = variables.get("datasource")
    if (
        datasource is None
        or datasource.get("type") != "datasource"
        or datasource.get("query") != "prometheus"
        or datasource.get("label") != "Data source"
    ):
        yield Violation(
            "template-datasource-rule",
            title,
            None,
            'needs variable "datasource" of type datasource, query prometheus, label "Data source"',
        )
    for name in ("job", "instance"):
        variable = variables.get(name)
        rule = f"template-{name}-rule"
        if variable is None or variable.get("type") != "query":
            yield Violation(rule, title, None, f'needs a query variable "{name}"')
            continue
        if (variable.get("datasource") or {}).get("uid") != DATASOURCE_VARIABLE:
            yield Violation(rule, title, None, f'variable "{name}" must query {DATASOURCE_VARIABLE}')
    for name, variable in variables.items():
        if variable.get("type") != "query":
            continue
        if variable.get("refresh") != 2:
            yield Violation(
                "template-on-time-change-reload-rule",
                title,
                None,
                f'variable "{name}" must refresh on time change',
            )
        yield from _check_variable_query(title, name, variable.get("query"))


def _check_variable_query(title: str, name: str, query: object) -> Iterator[Violation]:
    text = query.get("query") if isinstance(query, dict) else query
    match = LABEL_VALUES.match(text) if isinstance(text, str) else None
    if match is None:
        yield Violation(
            "template-label-promql-rule", title, None, f'variable "{name}": expected label_values(...)'
        )
        return
    try:
        selectors(match.group("selector"))
    except PromQLSyntaxError as error:
        yield Violation("template-label-promql-rule", title, None, f'variable "{name}": {error}')


# ---- panel-level rules -----------------------------------------------------------------------


def check_panels(dashboard: Mapping[str, Any], stem: str) -> Iterator[Violation]:
    title = dashboard.get("title") or stem
    panels = list(iter_panels(dashboard))
    for panel in panels:
        yield from _check_panel(title, panel)
    for duplicate, count in Counter(p.get("title", "") for p in panels).items():
        if count > 1:
            yield Violation("panel-title-unique-rule", title, duplicate, f"title used by {count} panels")
    ids = [p.get("id") for p in panels]
    if any(not isinstance(panel_id, int) for panel_id in ids):
        yield Violation("panel-id-unique-rule", title, None, "every panel needs an integer id")
    for duplicate, count in Counter(i for i in ids if isinstance(i, int)).items():
        if count > 1:
            yield Violation("panel-id-unique-rule", title, None, f"id {duplicate} used by {count} panels")
    yield from _check_layout(title, dashboard.get("panels", []))
    for row in dashboard.get("panels", []):
        yield from _check_layout(title, row.get("panels", []))


def _check_panel(title: str, panel: Mapping[str, Any]) -> Iterator[Violation]:
    name = panel.get("title", "")
    kind = panel.get("type", "")
    if not name.strip():
        yield Violation("panel-title-description-rule", title, None, f"a {kind} panel has no title")
    if kind == "row":
        return
    if not str(panel.get("description", "")).strip():
        yield Violation("panel-title-description-rule", title, name, "panel has no description")
    if kind in NON_DATA_PANELS:
        return
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
    if unit not in VALID_UNITS:
        yield Violation("panel-units-rule", title, name, f"unit {unit!r} is not a known Grafana unit id")
    targets = panel.get("targets", [])
    if not targets:
        yield Violation("panel-no-targets-rule", title, name, "panel has no queries")
    sources = [panel.get("datasource")] + [t["datasource"] for t in targets if "datasource" in t]
    for source in sources:
        uid = (source or {}).get("uid")
        if uid not in ALLOWED_DATASOURCE_UIDS:
            yield Violation(
                "panel-datasource-rule", title, name, f"datasource uid {uid!r} is not {DATASOURCE_VARIABLE}"
            )
    for target in targets:
        if (
            "expr" in target
            and (target.get("datasource") or panel.get("datasource") or {}).get("type") != "loki"
        ):
            yield from check_promql(title, name, target["expr"])


def check_promql(title: str, panel: str, expr: str) -> Iterator[Violation]:
    """The target-* rules for one PromQL expression."""
    try:
        found = selectors(expr)
    except PromQLSyntaxError as error:
        yield Violation("target-promql-rule", title, panel, f"{error}: {expr}")
        return
    for selector in found:
        metric = selector.name or "{...}"
        if selector.function in RATE_FUNCTIONS and selector.range != RATE_INTERVAL:
            yield Violation(
                "target-rate-interval-rule",
                title,
                panel,
                f"{selector.function}({metric}[{selector.range}]) must use [{RATE_INTERVAL}]",
            )
        if metric.endswith("_total") and selector.function not in COUNTER_FUNCTIONS:
            yield Violation(
                "target-counter-agg-rule",
                title,
                panel,
                f"counter {metric} must be inside rate/irate/increase",
            )
        for label in ("job", "instance"):
            if not selector.has_matcher(label, "=~", f"${label}"):
                yield Violation(f"target-{label}-rule", title, panel, f'{metric} lacks {label}=~"${label}"')


def _check_layout(title: str, panels: Sequence[Mapping[str, Any]]) -> Iterator[Violation]:
    """gridPos present, inside the 24 columns and no two panels overlapping."""
    boxes: list[tuple[str, int, int, int, int]] = []
    for panel in panels:
        name = panel.get("title", "")
        pos = panel.get("gridPos") or {}
        values = [pos.get(key) for key in ("x", "y", "w", "h")]
        if not all(isinstance(v, int) for v in values):
            yield Violation("panel-gridpos-rule", title, name, "gridPos needs integer x, y, w and h")
            continue
        x, y, w, h = values
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > GRID_COLUMNS:
            yield Violation("panel-gridpos-rule", title, name, f"gridPos {pos} is outside the 24-column grid")
            continue
        for other, ox, oy, ow, oh in boxes:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                yield Violation("panel-gridpos-rule", title, name, f"overlaps panel {other!r}")
        boxes.append((name, x, y, w, h))


CHECKS: tuple[Check, ...] = (check_identity, check_variables, check_panels)


def lint_dashboard(dashboard: Mapping[str, Any], stem: str) -> list[Violation]:
    """Every violation in one dashboard; ``stem`` is its file name without ``.json``."""
    return [violation for check in CHECKS for violation in check(dashboard, stem)]


def lint_paths(paths: Iterable[Path]) -> list[Violation]:
    """Lint JSON files (or directories of them), honouring each directory's ``.lint`` file."""
    violations: list[Violation] = []
    for path in paths:
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        directory = path if path.is_dir() else path.parent
        exclusions = load_exclusions(directory / EXCLUSIONS_FILE)
        for file in files:
            try:
                dashboard = json.loads(file.read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                raise LintConfigError(f"{file}: not valid JSON: {error}") from error
            violations.extend(
                v for v in lint_dashboard(dashboard, file.stem) if not any(e.covers(v) for e in exclusions)
            )
    return violations


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument(
        "paths", nargs="*", type=Path, default=[DASHBOARDS_DIR], help="dashboard JSON files or dirs"
    )
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        print(f"{PROG}: error: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        violations = lint_paths(args.paths)
    except (LintConfigError, yaml.YAMLError) as error:
        print(f"{PROG}: error: {error}".splitlines()[0], file=sys.stderr)
        return 2
    for violation in violations:
        print(violation)
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
