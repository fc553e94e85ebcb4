"""The README documents every option an operator can set and every scenario a demo can play.

The tables are written by hand for readability; this test keeps them true: a new flag, environment
variable, exporter or scenario that the README does not mention fails here.
"""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

from exporters.base.options import options_of
from mock.scenario import load_scenarios

REPO_ROOT = Path(__file__).resolve().parents[3]
README = (REPO_ROOT / "README.md").read_text()
SCRIPTS = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
EXPORTER_MODULES = sorted(
    target.split(":")[0] for name, target in SCRIPTS.items() if name.endswith("-exporter")
)


def exporter_options(module_name: str) -> list[tuple[str, str]]:
    spec = importlib.import_module(module_name).SPEC
    prefix = f"LLMON_{spec.name.upper()}_"
    return [(f"--{option.flag}", option.env) for option in options_of(spec.settings_model, prefix)]


@pytest.mark.parametrize("module_name", EXPORTER_MODULES)
def test_every_flag_and_environment_variable_is_documented(module_name: str) -> None:
    common = {"--web.listen-address", "--web.config.file", "--log.level", "--log.format"}
    common |= {"--collect.interval", "--collect.timeout"}
    missing = [
        name
        for flag, env in exporter_options(module_name)
        for name in ([flag] if flag in common else [flag, env])
        if name not in README
    ]
    assert missing == [], f"README.md does not mention {missing}"


def test_every_console_script_and_scenario_is_documented() -> None:
    names = [*SCRIPTS, *load_scenarios()]
    assert [name for name in names if f"`{name}`" not in README] == []


def test_readme_keeps_the_two_commands() -> None:
    assert "make demo" in README and "make test" in README


def test_every_scenario_row_names_the_alerts_its_file_promises() -> None:
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in README.splitlines()
        if line.startswith("| `") and line.count("|") >= 4
    }
    missing = {
        name: [alert for alert in scenario.alerts if f"`{alert}`" not in rows.get(name, "")]
        for name, scenario in load_scenarios().items()
    }
    assert {name: alerts for name, alerts in missing.items() if alerts} == {}
