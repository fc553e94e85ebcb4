"""Golden exposition of the GPU exporter over the twin, promtool's lint over it, and --compat=dcgm.

LLMON_UPDATE_GOLDEN=1 rewrites tests/fixtures/gpu/<name>.prom from the current output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import expected_states, hostnames
from gpu_helpers import samples, series, value
from prometheus_client.exposition import generate_latest

from exporters.gpu.device import MIB
from tests.unit.mock_clock import play

FIXTURES = Path(__file__).parents[2] / "fixtures" / "gpu"
#: (golden file, host prefix, scenario, t, options)
GOLDEN = {
    "h100-normal": ("gpu-h100", "normal", 10.0, {"collector_workloads": False}),
    "rtx4090-normal-dcgm": (
        "ws-rtx4090",
        "normal",
        10.0,
        {"compat": "dcgm", "compat_dcgm_hostname": "ws", "collector_workloads": False},
    ),
}


class _Families:
    def __init__(self, families: list) -> None:
        self._families = families

    def collect(self) -> list:
        return self._families


def render(db: Path, make_source, name: str) -> str:
    prefix, scenario, t, options = GOLDEN[name]
    play(db, scenario, t)
    source, _ = make_source(gpu_mock_host=hostnames(db)[prefix], **options)
    return generate_latest(_Families(list(source.collect()))).decode()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_output_matches_golden_file(db: Path, make_source, name: str) -> None:
    text = render(db, make_source, name)
    golden = FIXTURES / f"{name}.prom"
    if os.environ.get("LLMON_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert golden.exists(), f"{golden} is missing: run with LLMON_UPDATE_GOLDEN=1 to create it"
    assert text == golden.read_text(), f"output differs from {golden}; LLMON_UPDATE_GOLDEN=1 rewrites it"


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_file_passes_promtool_lint(name: str) -> None:
    """promtool check metrics; the only findings allowed are on dcgm-exporter's own names, which are kept
    as dcgm writes them (upper case, counters without _total) so dcgm dashboards keep working."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not on PATH")
    result = subprocess.run(
        [promtool, "check", "metrics"], input=(FIXTURES / f"{name}.prom").read_text(), capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    findings = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode in (0, 3), findings
    assert [line for line in findings if not re.match(r"^DCGM_FI_\w+ ", line)] == []


def test_dcgm_compat_uses_dcgm_names_units_and_labels(db: Path, make_source) -> None:
    host = hostnames(db)["gpu-h100"]
    play(db, "gpu-thermal-throttle", 200.0)
    source, _ = make_source(gpu_mock_host=host, compat="dcgm", compat_dcgm_hostname="node-7")
    found = samples(source.collect())
    for state in expected_states(db, "gpu-thermal-throttle", 200.0, host):
        labels = {
            "gpu": str(state.seed.index), "UUID": state.seed.uuid, "pci_bus_id": state.seed.pci_bus_id,
            "device": f"nvidia{state.seed.index}", "modelName": state.seed.name, "Hostname": "node-7",
            "DCGM_FI_DRIVER_VERSION": "560.35.03",
        }  # fmt: skip
        assert value(found, "DCGM_FI_DEV_GPU_TEMP", **labels) == round(state.temperature)
        assert value(found, "DCGM_FI_DEV_SM_CLOCK", **labels) == pytest.approx(state.sm_clock_mhz)
        assert value(found, "DCGM_FI_DEV_FB_USED", **labels) == pytest.approx(state.memory_used / MIB)
        assert value(found, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", **labels) == pytest.approx(
            1000 * state.energy_j, abs=1.0
        )
        assert value(found, "DCGM_FI_DEV_XID_ERRORS", **labels) == 0.0
    assert series(found, "DCGM_FI_DEV_MEMORY_TEMP")  # H100 has an HBM sensor


def test_without_compat_there_is_no_dcgm_series(db: Path, make_source) -> None:
    play(db, "normal", 10.0)
    source, _ = make_source()
    assert not [name for name, _ in samples(source.collect()) if name.startswith("DCGM_")]


def test_real_gpu_smoke() -> None:
    """On a machine with an NVIDIA driver: the exporter's output for the real GPUs passes promtool."""
    if shutil.which("nvidia-smi") is None:
        pytest.skip(
            "nvidia-smi is absent: no NVIDIA driver on this machine, the real NVML path is not testable"
        )
    from exporters.gpu.config import GpuSettings  # noqa: PLC0415
    from exporters.gpu.sources import build_sources  # noqa: PLC0415

    (source,) = build_sources(GpuSettings(collector_xid=False))
    try:
        text = generate_latest(_Families(list(source.collect()))).decode()
    finally:
        source.close()  # type: ignore[attr-defined]
    assert "llmon_gpu_up{" in text
    promtool = shutil.which("promtool")
    if promtool:
        result = subprocess.run(
            [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
