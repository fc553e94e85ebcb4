"""The committed dashboard JSON is exactly what the generator produces."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grafana import DASHBOARDS_DIR, GRAFANA_DIR
from grafana.dashboards_src import generate

REPO_ROOT = GRAFANA_DIR.parent


def _json_files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.glob("*.json"))}


def test_regenerating_changes_nothing(tmp_path: Path) -> None:
    assert generate.main(["--out", str(tmp_path)]) == 0

    regenerated = _json_files(tmp_path)
    committed = _json_files(DASHBOARDS_DIR)
    assert sorted(regenerated) == sorted(committed), "extra or missing dashboard files"
    for name, content in regenerated.items():
        assert content == committed[name], f"{name} is stale: run python -m grafana.dashboards_src.generate"


def test_one_file_per_dashboard_named_after_its_uid() -> None:
    rendered = generate.render_all()

    assert set(rendered) >= {"llmon-gpus.json", "llmon-self.json", "llmon-server-health.json"}
    for name, text in rendered.items():
        assert json.loads(text)["uid"] == name.removesuffix(".json")


def test_output_is_sorted_indented_and_ends_with_newline() -> None:
    for text in generate.render_all().values():
        assert text.endswith("}\n") and not text.endswith("\n\n")
        assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_check_passes_on_the_committed_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert generate.main(["--check", "--out", str(DASHBOARDS_DIR)]) == 0
    assert capsys.readouterr().err == ""


def test_check_names_changed_missing_and_leftover_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate.main(["--out", str(tmp_path)])
    (tmp_path / "llmon-self.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "llmon-server-health.json").unlink()
    (tmp_path / "old-dashboard.json").write_text("{}\n", encoding="utf-8")
    capsys.readouterr()

    assert generate.main(["--check", "--out", str(tmp_path)]) == 1

    err = capsys.readouterr().err
    for name in ("llmon-self.json", "llmon-server-health.json", "old-dashboard.json"):
        assert f"stale: {tmp_path / name}" in err
    assert (tmp_path / "llmon-self.json").read_text(encoding="utf-8") == "{}\n", "--check must not write"


def test_write_repairs_a_stale_directory_and_removes_leftovers(tmp_path: Path) -> None:
    (tmp_path / "old-dashboard.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "llmon-self.json").write_text("{}\n", encoding="utf-8")

    assert generate.main(["--out", str(tmp_path)]) == 0

    assert _json_files(tmp_path) == _json_files(DASHBOARDS_DIR)


def test_missing_output_directory_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"

    assert generate.main(["--out", str(missing)]) == 2

    err = capsys.readouterr().err
    assert err == f"python -m grafana.dashboards_src.generate: error: --out: {missing} is not a directory\n"


def test_module_runs_from_the_repository_root() -> None:
    """The exact command the Makefile runs: module form, repository root as working directory."""
    result = subprocess.run(
        [sys.executable, "-m", "grafana.dashboards_src.generate", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
