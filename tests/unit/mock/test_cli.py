"""``llmon-mock`` verbs: scenario list/set/status, clock, usage errors, the demo seam."""

from __future__ import annotations

import hashlib
import json
import sys
import types
from pathlib import Path

import pytest

from mock.cli import run
from mock.scenario import Scenario

Capture = pytest.CaptureFixture[str]


def _status(db: Path, capsys: Capture) -> dict[str, object]:
    assert run(["scenario", "status", "--json", "--db", str(db)]) == 0
    return json.loads(capsys.readouterr().out)


def test_list_marks_the_active_scenario(
    db_path: Path, scenarios: dict[str, Scenario], capsys: Capture
) -> None:
    assert run(["scenario", "list", "--db", str(db_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(scenarios)
    marked = [line.split()[1] for line in lines if line.startswith("*")]
    assert marked == ["normal"]
    for line in lines:
        name = line[2:].split()[0]
        assert scenarios[name].description in line


def test_set_switches_and_status_reports_it(db_path: Path, capsys: Capture) -> None:
    assert run(["scenario", "set", "peak-load", "--db", str(db_path)]) == 0
    assert capsys.readouterr().out == "scenario set to peak-load (t=0, running)\n"
    status = _status(db_path, capsys)
    assert status["scenario"] == "peak-load"
    assert status["generation"] == 1
    assert status["paused"] is False
    assert status["speed"] == 1.0
    assert 0.0 <= status["t"] < 60.0


def test_status_in_text_is_one_key_per_line(db_path: Path, capsys: Capture) -> None:
    assert run(["scenario", "status", "--db", str(db_path)]) == 0
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert lines.keys() == {"scenario", "generation", "t", "paused", "speed"}
    assert lines["scenario"] == "normal" and lines["paused"] == "false"


def test_unknown_scenario_is_one_line_exit_2_and_leaves_the_database_alone(
    db_path: Path, scenarios: dict[str, Scenario], capsys: Capture
) -> None:
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    assert run(["scenario", "set", "nope", "--db", str(db_path)]) == 2
    captured = capsys.readouterr()
    known = ", ".join(sorted(scenarios))
    assert captured.err == f"llmon-mock: error: unknown scenario 'nope' (known: {known})\n"
    assert captured.out == ""
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


def test_clock_pause_jump_resume(db_path: Path, capsys: Capture) -> None:
    assert run(["clock", "pause", "--db", str(db_path)]) == 0
    capsys.readouterr()
    paused = _status(db_path, capsys)
    assert paused["paused"] is True
    assert run(["clock", "jump", "90", "--db", str(db_path)]) == 0
    capsys.readouterr()
    jumped = _status(db_path, capsys)
    assert jumped["t"] == pytest.approx(paused["t"] + 90, abs=1e-3)  # paused: nothing else moves t
    assert run(["clock", "resume", "--db", str(db_path)]) == 0
    capsys.readouterr()
    resumed = _status(db_path, capsys)
    assert resumed["paused"] is False
    assert resumed["t"] >= jumped["t"]


def test_clock_speed_is_reported(db_path: Path, capsys: Capture) -> None:
    assert run(["clock", "speed", "4", "--db", str(db_path)]) == 0
    assert "speed: 4.0" in capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["clock", "jump", "-5"], "llmon-mock: error: jump needs a positive number of seconds, got -5.0\n"),
        (["clock", "speed", "0"], "llmon-mock: error: speed must be a positive number, got 0.0\n"),
    ],
)
def test_bad_clock_arguments_are_one_line_exit_2(
    db_path: Path, capsys: Capture, argv: list[str], message: str
) -> None:
    assert run([*argv, "--db", str(db_path)]) == 2
    assert capsys.readouterr().err == message


def test_a_missing_database_is_one_line_exit_2(tmp_path: Path, capsys: Capture) -> None:
    missing = tmp_path / "none.db"
    assert run(["scenario", "status", "--db", str(missing)]) == 2
    hint = f"create it with: llmon-mock seed --out {missing}"
    assert capsys.readouterr().err == f"llmon-mock: error: database '{missing}' not found ({hint})\n"


def test_a_file_that_is_not_a_database_is_one_line_exit_2(tmp_path: Path, capsys: Capture) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_text("this is not sqlite\n" * 100)
    assert run(["scenario", "status", "--db", str(garbage)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"llmon-mock: error: database '{garbage}' is not a usable llmon mock database")
    assert err.count("\n") == 1


def test_the_db_defaults_to_the_environment(
    db_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMON_MOCK_DB", str(db_path))
    assert run(["scenario", "set", "disk-full"]) == 0
    capsys.readouterr()
    assert _status(db_path, capsys)["scenario"] == "disk-full"


@pytest.mark.parametrize("argv", [["bogus"], ["clock", "jump", "soon"], ["scenario"], []])
def test_usage_errors_are_one_line_exit_2(argv: list[str], capsys: Capture) -> None:
    with pytest.raises(SystemExit) as exited:
        run(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("llmon-mock: error: ")
    assert err.count("\n") == 1


def test_demo_hands_its_options_to_the_native_stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict[str, object]] = []
    fake_stack = types.ModuleType("mock.stack")
    fake_stack.run_demo = lambda **kwargs: calls.append(kwargs) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mock.stack", fake_stack)
    assert run(["demo", "--scenario", "disk-full", "--seed", "7", "--var-dir", str(tmp_path)]) == 0
    assert calls == [{"scenario": "disk-full", "seed": 7, "var_dir": tmp_path}]
    assert run(["demo"]) == 0
    assert calls[-1] == {"scenario": "normal", "seed": 42, "var_dir": Path("var")}


def test_demo_rejects_an_unknown_scenario_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    fake_stack = types.ModuleType("mock.stack")
    fake_stack.run_demo = lambda **kwargs: pytest.fail("the stack must not start")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mock.stack", fake_stack)
    assert run(["demo", "--scenario", "nope"]) == 2
    assert capsys.readouterr().err.startswith("llmon-mock: error: unknown scenario 'nope'")
