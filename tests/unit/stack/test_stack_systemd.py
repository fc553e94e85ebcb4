"""deploy/systemd: the hardened node exporter unit and its example environment file.

`systemd-analyze verify` reports problems as warnings and still exits 0, so the tests require
its output to be empty; it also refuses a unit whose ExecStart binary does not exist, so it runs
on a copy pointing at a stand-in executable.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from stack_compose import DESIGN_PORTS, REPO_ROOT

UNIT = REPO_ROOT / "deploy" / "systemd" / "llmon-node-exporter.service"
ENV_EXAMPLE = REPO_ROOT / "deploy" / "systemd" / "llmon-node-exporter.env"
EXECUTABLE = "/opt/llmon/bin/llmon-node-exporter"
# Exposure score from `systemd-analyze security` (0 = fully sandboxed, 10 = unprotected);
# systemd itself rates <= 2.0 as "OK".
MAX_EXPOSURE = 2.0


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """Sections -> directive -> every value it is given (directives may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        assert current is not None, f"directive outside a section: {line}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.fixture(scope="module")
def service() -> dict[str, list[str]]:
    """The [Service] section of the unit."""
    return parse_unit(UNIT.read_text(encoding="utf-8"))["Service"]


def test_runs_the_installed_exporter_with_flags_from_the_environment_file(
    service: dict[str, list[str]],
) -> None:
    assert service["ExecStart"] == [f"{EXECUTABLE} $LLMON_NODE_ARGS"]
    assert service["EnvironmentFile"] == ["-/etc/default/llmon-node-exporter"]
    assert service["Environment"] == ["LLMON_NODE_ARGS="]
    assert service["Restart"] == ["on-failure"]
    assert service["User"] == ["llmon"]


def test_sandbox_directives(service: dict[str, list[str]]) -> None:
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "read-only",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictNamespaces": "yes",
        "CapabilityBoundingSet": "",
    }
    assert {key: service[key][-1] for key in expected} == expected
    assert set(service["RestrictAddressFamilies"][-1].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}


def test_sandbox_keeps_what_the_exporter_reads(service: dict[str, list[str]]) -> None:
    """ProtectProc=invisible hides /proc/1/mounts and ProcSubset=pid hides /proc/stat and meminfo."""
    assert "ProtectProc" not in service
    assert "ProcSubset" not in service
    assert "InaccessiblePaths" not in service


def _systemd_analyze() -> str:
    binary = shutil.which("systemd-analyze")
    if binary is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    return binary


def _runnable_copy(tmp_path: Path, text: str) -> Path:
    stand_in = tmp_path / "llmon-node-exporter"
    stand_in.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    stand_in.chmod(0o755)
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(EXECUTABLE, str(stand_in)), encoding="utf-8")
    return unit


def _verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_systemd_analyze(), "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    result = _verify(_runnable_copy(tmp_path, UNIT.read_text(encoding="utf-8")))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_verify_reports_a_broken_directive(tmp_path: Path) -> None:
    """The empty-output check above is able to fail: a bad value produces a warning."""
    broken = UNIT.read_text(encoding="utf-8").replace("ProtectHome=read-only", "ProtectHome=readonly")
    result = _verify(_runnable_copy(tmp_path, broken))
    assert "readonly" in result.stderr


def test_security_exposure_is_low(tmp_path: Path) -> None:
    unit = _runnable_copy(tmp_path, UNIT.read_text(encoding="utf-8"))
    result = subprocess.run(
        [_systemd_analyze(), "security", "--offline=yes", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= MAX_EXPOSURE


def _example_args() -> list[str]:
    assignments = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    assert set(assignments) == {"LLMON_NODE_ARGS"}
    # The environment file's quotes are removed, then `$LLMON_NODE_ARGS` splits on whitespace.
    (value,) = shlex.split(assignments["LLMON_NODE_ARGS"])
    return value.split()


def test_example_environment_listens_on_loopback() -> None:
    arguments = _example_args()
    assert all(argument.startswith("--") for argument in arguments)
    assert f"--web.listen-address=127.0.0.1:{DESIGN_PORTS['node-exporter']}" in arguments


def test_example_flags_are_accepted_by_the_exporter() -> None:
    if importlib.util.find_spec("exporters.node.__main__") is None:
        pytest.skip("exporters/node/__main__.py is not there yet")
    result = subprocess.run(
        [sys.executable, "-m", "exporters.node", *_example_args(), "--check-config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO_ROOT,
        env={key: value for key, value in os.environ.items() if not key.startswith("LLMON_")},
    )
    assert result.returncode == 0, result.stderr
