"""llmon-node-exporter's options: collector switches, filters and their validation, through run()."""

from __future__ import annotations

import subprocess
import sys

import pytest

from exporters.base import run
from exporters.base.options import options_of
from exporters.node.__main__ import SPEC
from exporters.node.collectors import build_sources
from exporters.node.config import COLLECTOR_NAMES, DEFAULT_DISK_DEVICE_EXCLUDE, NodeSettings

ALL = ", ".join(COLLECTOR_NAMES)


def _check(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = run(SPEC, ["--check-config", *argv])
    captured = capsys.readouterr()
    return status, captured.out.strip(), captured.err.strip()


def _listed(out: str) -> list[str]:
    """The source names of a "config ok (sources: a, b)" line."""
    return out.removeprefix("llmon-node-exporter: config ok (sources: ").removesuffix(")").split(", ")


def test_every_collector_is_on_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert _check([], capsys) == (0, f"llmon-node-exporter: config ok (sources: {ALL})", "")


def test_no_collector_flags_switch_collectors_off(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _check(["--no-collector.hwmon", "--no-collector.filesystem"], capsys)
    expected = [name for name in COLLECTOR_NAMES if name not in ("hwmon", "filesystem")]
    assert (status, out) == (0, f"llmon-node-exporter: config ok (sources: {', '.join(expected)})")


def test_flag_overrides_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMON_NODE_COLLECTOR_PRESSURE", "false")
    monkeypatch.setenv("LLMON_NODE_COLLECTOR_TIME", "false")
    status, out, _ = _check(["--collector.time"], capsys)
    assert status == 0
    assert _listed(out) == [name for name in COLLECTOR_NAMES if name != "pressure"]


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (
            ["--collector.filesystem.mount-points-exclude=(unclosed"],
            "--collector.filesystem.mount-points-exclude",
        ),
        (["--collector.diskstats.device-exclude=[a-"], "--collector.diskstats.device-exclude"),
        (["--collector.filesystem.mount-timeout=-1"], "--collector.filesystem.mount-timeout"),
        (["--collector.nosuch"], None),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    argv: list[str], option: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _check(argv, capsys)
    assert (status, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert err.startswith("llmon-node-exporter: error: ")
    if option:
        assert option in err


def test_build_sources_follows_enabled_collectors() -> None:
    settings = NodeSettings(collector_cpu=False, collector_stat=False)
    names = [source.name for source in build_sources(settings)]
    assert names == [name for name in COLLECTOR_NAMES if name not in ("cpu", "stat")]
    assert all(not source.background for source in build_sources(NodeSettings()))


def test_console_script_entry_point() -> None:
    """The installed module entry point runs the same SPEC (python -m exporters.node)."""
    result = subprocess.run(
        [sys.executable, "-m", "exporters.node", "--check-config", "--no-collector.os"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert _listed(result.stdout.strip()) == [name for name in COLLECTOR_NAMES if name != "os"]



def test_help_shows_a_filter_default_only_where_there_is_one() -> None:
    """An empty filter is "no filter": its help must not end in an empty "(default: )"."""
    helps = {option.flag: option.help for option in options_of(NodeSettings, SPEC.env_prefix)}
    assert helps["collector.netdev.device-exclude"] == (
        "Regular expression of network interfaces the netdev collector skips."
    )
    assert helps["collector.diskstats.device-exclude"] == (
        "Regular expression of block devices the diskstats collector skips."
        f" (default: {DEFAULT_DISK_DEVICE_EXCLUDE})"
    )
