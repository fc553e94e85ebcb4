"""Configuration: flags, environment and YAML in the right precedence, errors as one line with exit 2."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from fake_base_exporter import SPEC

from exporters.base import run
from exporters.base.config import load

HERE = Path(__file__).parent


def settings_from(argv: list[str], environ: dict[str, str] | None = None):
    return load(SPEC, argv, environ or {}).settings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_when_nothing_is_given() -> None:
    settings = settings_from([])
    assert (settings.greeting, settings.answer, settings.collector_extra) == ("hello", 42, True)
    assert (settings.collect_interval, settings.collect_timeout, settings.log_format) == (
        15.0,
        10.0,
        "logfmt",
    )
    assert SPEC.listen_address(settings) == "127.0.0.1:9999"


def test_yaml_overrides_default_env_overrides_yaml_flag_overrides_env(tmp_path: Path) -> None:
    config = write(tmp_path / "config.yml", "demo.greeting: from-yaml\ndemo.answer: 7\n")
    env = {"LLMON_FAKE_DEMO_GREETING": "from-env"}
    assert settings_from(["--config.file", str(config)]).greeting == "from-yaml"
    assert settings_from(["--config.file", str(config)], env).greeting == "from-env"
    flags = ["--config.file", str(config), "--demo.greeting=from-flag"]
    assert settings_from(flags, env).greeting == "from-flag"
    # Options not overridden keep the value of the lower layer.
    assert settings_from(flags, env).answer == 7


def test_config_file_can_come_from_the_environment(tmp_path: Path) -> None:
    config = write(tmp_path / "config.yml", "collect.interval: 1m30s\n")
    assert settings_from([], {"LLMON_FAKE_CONFIG_FILE": str(config)}).collect_interval == 90.0


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["--no-collector.extra"], {}, False),
        (["--collector.extra"], {"LLMON_FAKE_COLLECTOR_EXTRA": "false"}, True),
        ([], {"LLMON_FAKE_COLLECTOR_EXTRA": "false"}, False),
        (["--no-collector.extra"], {"LLMON_FAKE_COLLECTOR_EXTRA": "true"}, False),
    ],
)
def test_bool_collector_flags(argv: list[str], environ: dict[str, str], expected: bool) -> None:
    assert settings_from(argv, environ).collector_extra is expected


def test_disabled_collector_drops_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(SPEC, ["--no-collector.extra", "--check-config"]) == 0
    assert capsys.readouterr().out == "llmon-fake-exporter: config ok (sources: greeting)\n"


def test_list_options_repeat_as_flags_and_split_commas_in_env(tmp_path: Path) -> None:
    assert settings_from(["--demo.host=a", "--demo.host=b"]).hosts == ["a", "b"]
    assert settings_from([], {"LLMON_FAKE_DEMO_HOST": "a, b,,c"}).hosts == ["a", "b", "c"]
    config = write(tmp_path / "config.yml", "demo.host: [x, y]\n")
    assert settings_from(["--config.file", str(config)]).hosts == ["x", "y"]


@pytest.mark.parametrize(
    ("value", "seconds"), [("30", 30.0), ("2.5", 2.5), ("500ms", 0.5), ("1m30s", 90.0), ("1h", 3600.0)]
)
def test_durations_accept_seconds_and_prometheus_units(value: str, seconds: float) -> None:
    assert settings_from([f"--collect.interval={value}"]).collect_interval == seconds


@pytest.mark.parametrize(
    ("argv", "env", "error"),
    [
        (["--demo.answer=-1"], {}, "--demo.answer: Input should be greater than or equal to 0"),
        (
            [],
            {"LLMON_FAKE_DEMO_ANSWER": "many"},
            "--demo.answer (from LLMON_FAKE_DEMO_ANSWER): Input should be a valid integer, unable to parse "
            "string as an integer",
        ),
        (["--log.level=verbose"], {}, "--log.level: Input should be 'debug', 'info', 'warn' or 'error'"),
        (["--collect.interval=0"], {}, "--collect.interval: Input should be greater than 0"),
        (["--collect.timeout=soon"], {}, "--collect.timeout: Input should be a valid number"),
        (["--web.listen-address=localhost"], {}, "--web.listen-address: expected host:port"),
        (["--web.listen-address=::1:80"], {}, "--web.listen-address: write an IPv6 address in brackets"),
        (["--no-such-flag"], {}, "unrecognized arguments: --no-such-flag"),
        (["--demo.answer"], {}, "argument --demo.answer: expected one argument"),
        (
            ["--demo.answer=x", "--log.format=xml"],
            {},
            "--log.format: Input should be 'logfmt' or 'json'; --demo.answer: Input should be a valid int",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], env: dict[str, str], error: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert run(SPEC, argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"llmon-fake-exporter: error: {error}")
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize(
    ("yaml_text", "error"),
    [
        ("demo.greting: hi\n", "unknown option 'demo.greting' (did you mean 'demo.greeting'?)"),
        ("demo.answer: [1\n", "invalid YAML at line 2, column 1"),
        ("- demo.answer\n", "expected a mapping of option names to values"),
        ("demo.answer: -5\n", "--demo.answer (from demo.answer in "),
    ],
)
def test_bad_config_file_is_one_line_and_exit_2(tmp_path: Path, yaml_text: str, error: str, capsys) -> None:
    config = write(tmp_path / "config.yml", yaml_text)
    assert run(SPEC, ["--config.file", str(config)]) == 2
    err = capsys.readouterr().err
    assert error in err
    assert err.startswith("llmon-fake-exporter: error: ")
    assert err.count("\n") == 1


def test_missing_config_file_is_reported(tmp_path: Path, capsys) -> None:
    assert run(SPEC, ["--config.file", str(tmp_path / "absent.yml")]) == 2
    assert capsys.readouterr().err == (
        f"llmon-fake-exporter: error: --config.file: cannot read {tmp_path / 'absent.yml'}: "
        "No such file or directory\n"
    )


def test_check_config_validates_and_exits_0_without_serving(capsys) -> None:
    assert run(SPEC, ["--check-config", "--web.listen-address=127.0.0.1:1"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "llmon-fake-exporter: config ok (sources: greeting, extra)\n"
    assert captured.err == ""


def test_version_prints_the_package_version(capsys) -> None:
    assert run(SPEC, ["--version"]) == 0
    assert capsys.readouterr().out == f"llmon-fake-exporter {version('llmon')}\n"


def test_secret_from_env_file_flag_file_and_yaml_file(tmp_path: Path) -> None:
    secret = write(tmp_path / "token", "s3cret-from-file\n")
    assert settings_from([], {"LLMON_FAKE_DEMO_TOKEN_FILE": str(secret)}).token.get_secret_value() == (
        "s3cret-from-file"
    )
    assert settings_from([f"--demo.token-file={secret}"]).token.get_secret_value() == "s3cret-from-file"
    config = write(tmp_path / "config.yml", "demo.token-file: token\n")  # relative to the YAML file
    assert settings_from(["--config.file", str(config)]).token.get_secret_value() == "s3cret-from-file"


def test_secret_file_follows_the_same_precedence(tmp_path: Path) -> None:
    secret = write(tmp_path / "token", "from-env-file")
    config = write(tmp_path / "config.yml", "demo.token: from-yaml\n")
    env = {"LLMON_FAKE_DEMO_TOKEN_FILE": str(secret)}
    assert settings_from(["--config.file", str(config)], env).token.get_secret_value() == "from-env-file"
    assert settings_from(["--demo.token=from-flag"], env).token.get_secret_value() == "from-flag"


def test_secret_and_secret_file_in_one_layer_conflict(tmp_path: Path, capsys) -> None:
    secret = write(tmp_path / "token", "abc")
    assert run(SPEC, ["--demo.token=xyz", f"--demo.token-file={secret}", "--check-config"]) == 2
    assert capsys.readouterr().err == (
        "llmon-fake-exporter: error: --demo.token: set either --demo.token or --demo.token-file, not both\n"
    )


def test_unreadable_secret_file_names_the_file_only(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LLMON_FAKE_DEMO_TOKEN_FILE", str(tmp_path / "missing"))
    assert run(SPEC, ["--check-config"]) == 2
    assert capsys.readouterr().err == (
        f"llmon-fake-exporter: error: LLMON_FAKE_DEMO_TOKEN_FILE: cannot read {tmp_path / 'missing'}: "
        "No such file or directory\n"
    )


def test_secret_never_shows_in_repr_or_validation_errors(capsys) -> None:
    settings = settings_from(["--demo.token=hunter2-secret"])
    assert "hunter2-secret" not in repr(settings)
    assert "hunter2-secret" not in str(settings)
    assert run(SPEC, ["--demo.token=hunter2-secret", "--demo.answer=oops"]) == 2
    assert "hunter2-secret" not in capsys.readouterr().err


def test_bad_input_in_a_real_process_prints_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fake_base_exporter", "--collect.interval=-3", "--demo.answer=abc"],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "llmon-fake-exporter: error: --collect.interval: Input should be greater than 0; "
        "--demo.answer: Input should be a valid integer, unable to parse string as an integer\n"
    )
