"""Find, substitute and syntax-check the PromQL inside generated dashboards.

Shared by the unit tests (promtool syntax check) and the integration tests (every panel query
run against a real Prometheus), so both look at exactly the queries Grafana will send.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

# Values that make a dashboard query a plain PromQL query over everything the variables allow.
DEFAULT_VALUES: Mapping[str, str] = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "job": ".*",
    "instance": ".*",
    "datasource": "prometheus",
    "gpu": ".*",
    "price": "0.15",
    "name": ".*",  # the Containers dashboard's container picker
    "team": ".*",  # the Gateway and spend dashboard's team, key and model pickers
    "key": ".*",
    "model": ".*",
    "score": ".*",  # the Quality and cost dashboard's score picker
    "deployment": ".*",  # the LLM serving dashboard's engine and model pickers
    "model_name": ".*",
}

# $name, ${name}, ${name:format} and the legacy [[name]] forms Grafana interpolates; "$1" in a
# label_replace() replacement is a regex group reference, not a variable, and stays.
# Panels that show nothing on a healthy server because they list faults, keyed "<uid>/<title>", each
# with its reason. The Grafana E2E test allows "No data" on them and the integration test lets them be
# empty in the normal scenario, but only if some scenario lists the panel and so proves its query.
EMPTY_WHEN_HEALTHY: Mapping[str, str] = {
    "llmon-gpus/XID errors": "lists XID events, and a healthy GPU raises none (gpu-xid-error shows it)",
    "llmon-containers/Container events": (
        "an annotation of deaths, restarts and OOM kills, and a healthy fleet has none "
        "(container-oom and vllm-crash-loop show them)"
    ),
}

_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$([A-Za-z_]\w*)|\[\[(\w+)(?::\w+)?\]\]")


def substitute_variables(expr: str, values: Mapping[str, str] = DEFAULT_VALUES) -> str:
    """Replace Grafana template variables in ``expr`` with ``values``.

    Raises KeyError naming the first variable ``values`` lacks, so a new variable cannot
    slip through a test as literal ``$something``.
    """

    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group is not None)
        if name not in values:
            raise KeyError(f"no value for Grafana variable ${name} in {expr!r}")
        return values[name]

    return _VARIABLE.sub(replace, expr)


def _dashboard_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.json")) if path.is_dir() else [path]


def iter_panels(dashboard: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every panel, including those nested inside collapsed rows, in document order."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def iter_annotation_queries(dashboard: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(annotation name, expr)`` of every PromQL annotation query (built-in ones have no expr)."""
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if "expr" in annotation:
            yield annotation.get("name", ""), annotation["expr"]


def iter_dashboard_queries(path: str | Path) -> list[tuple[str, str, str]]:
    """``(dashboard uid, panel title or annotation name, expr)`` for every PromQL query.

    ``path`` is one dashboard JSON file or a directory of them. Hidden targets are included:
    Grafana still runs them for transformations and they must stay valid. Annotation queries
    follow the panels, under their name: Grafana runs them over every time series panel, so
    they are proven like panels (a scenario lists "<uid>/<annotation name>" under `panels:`).
    A panel of a repeated row is listed once, with ``$gpu`` and the like still a regex that
    matches every value, so its query is executed for all the copies Grafana makes.
    """
    found: list[tuple[str, str, str]] = []
    for file in _dashboard_files(Path(path)):
        dashboard = json.loads(file.read_text(encoding="utf-8"))
        for panel in iter_panels(dashboard):
            for target in panel.get("targets", []):
                if "expr" in target:
                    found.append((dashboard["uid"], panel.get("title", ""), target["expr"]))
        titles = {panel.get("title", "") for panel in iter_panels(dashboard)}
        for name, expr in iter_annotation_queries(dashboard):
            if name in titles:  # scenarios and tests name both by "<uid>/<name>": they must differ
                raise ValueError(f"{file.name}: annotation {name!r} has the title of a panel")
            found.append((dashboard["uid"], name, expr))
    return found


def promtool_syntax_errors(named_exprs: Mapping[str, str], promtool: str = "promtool") -> str | None:
    """Ask ``promtool check rules`` to parse each expression; None when all parse.

    promtool 2.42 has no command that parses a bare expression, but ``check rules`` parses
    every rule's expr, so each expression becomes a recording rule in its own group named
    after it: a failure message then says which query broke. Expressions must already be
    free of Grafana variables (see substitute_variables).
    """
    executable = shutil.which(promtool)
    if executable is None:
        raise FileNotFoundError(f"{promtool} not found on PATH")
    groups = [
        {"name": name, "rules": [{"record": f"dashboard:query_{index}:syntax", "expr": expr}]}
        for index, (name, expr) in enumerate(named_exprs.items())
    ]
    with tempfile.TemporaryDirectory(prefix="llmon-promql-") as tmp:
        rules = Path(tmp) / "dashboard-queries.rules.yml"
        rules.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False), encoding="utf-8")
        result = subprocess.run(
            [executable, "check", "rules", str(rules)],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode == 0:
        return None
    return (result.stdout + result.stderr).strip()
