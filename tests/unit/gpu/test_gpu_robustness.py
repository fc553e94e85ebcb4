"""What NVML failures do to a scrape: a lost GPU, a vanished GPU, transient errors, no driver, XIDs."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
import pytest
from conftest import expected_states
from gpu_helpers import samples, series, value

from exporters.base import ExporterServer
from exporters.gpu.__main__ import SPEC
from exporters.gpu.config import GpuSettings
from mock.twins.gpu.errors import NVMLError
from tests.unit.mock_clock import play

XID_WAIT_S = 20.0


def test_a_lost_gpu_is_down_and_the_others_keep_reporting(db: Path, make_source) -> None:
    play(db, "gpu-xid-error", 30.0)
    source, _ = make_source(cache_s=0.0)
    before = samples(source.collect())
    assert len(series(before, "llmon_gpu_temperature_celsius")) == 8
    play(db, "gpu-xid-error", 90.0)  # XID 79 at t=60: GPU 3 fell off the bus
    found = samples(source.collect())
    states = expected_states(db, "gpu-xid-error", 90.0)
    for state in states:
        ids = {"gpu": str(state.seed.index), "uuid": state.seed.uuid}
        assert value(found, "llmon_gpu_up", **ids) == (0.0 if state.seed.index == 3 else 1.0)
    assert {s["gpu"] for s in series(found, "llmon_gpu_temperature_celsius")} == {
        "0",
        "1",
        "2",
        "4",
        "5",
        "6",
        "7",
    }


def test_a_gpu_that_disappears_between_scrapes_is_reported_down(db: Path, make_source) -> None:
    play(db, "normal", 10.0)
    source, module = make_source()
    first = samples(source.collect())
    last = next(s for s in series(first, "llmon_gpu_up") if s["gpu"] == "7")
    module.nvmlDeviceGetCount = lambda: 7  # the driver now enumerates one GPU fewer
    second = samples(source.collect())
    assert value(second, "llmon_gpu_up", **last) == 0.0
    assert len([s for s in series(second, "llmon_gpu_up") if value(second, "llmon_gpu_up", **s) == 1.0]) == 7


def test_transient_errors_are_counted_omitted_and_retried(db: Path, make_source) -> None:
    play(db, "normal", 10.0)
    source, module = make_source()
    calls = []

    def timing_out(handle: object) -> int:
        calls.append(handle)
        raise NVMLError(10)  # Timeout

    module.nvmlDeviceGetPowerUsage = timing_out
    first = samples(source.collect())
    second = samples(source.collect())
    assert series(first, "llmon_gpu_power_usage_watts") == []
    assert value(second, "llmon_gpu_nvml_errors_total", error="Timeout") == 16.0
    assert len(calls) == 16  # asked again on the second scrape: a timeout is not "unsupported"
    assert len(series(second, "llmon_gpu_temperature_celsius")) == 8


def test_no_driver_keeps_the_exporter_up_with_the_source_down(tmp_path: Path, caplog) -> None:
    settings = GpuSettings(
        gpu_backend="mock",
        gpu_mock_db=tmp_path / "absent.db",
        web_listen_address="127.0.0.1:0",
        collector_xid=False,
    )
    caplog.set_level(logging.WARNING)
    with ExporterServer(SPEC, settings) as server:
        response = httpx.get(f"{server.url}/metrics", timeout=10)
        httpx.get(f"{server.url}/metrics", timeout=10)
    assert response.status_code == 200
    assert 'llmon_exporter_up{source="nvml"} 0.0' in response.text
    assert "llmon_gpu_up" not in response.text
    failures = [r for r in caplog.records if getattr(r, "source", None) == "nvml"]
    assert len(failures) == 1  # one clear line, not one per scrape
    assert "NVIDIA driver" in failures[0].err


def test_xid_events_are_counted_per_code_with_their_last_time(db: Path, make_source) -> None:
    play(db, "normal", 10.0)
    source, module = make_source(collector_xid=True, cache_s=0.0)
    list(source.collect())  # starts the watcher: events before it registers are never replayed
    deadline = time.monotonic() + XID_WAIT_S
    while module.calls["nvmlEventSetWait"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert module.calls["nvmlDeviceRegisterEvents"] == 8
    started = time.time()
    play(db, "gpu-xid-error", 30.0)  # XID 48 on GPU 1 at t=0 of the new scenario
    deadline = time.monotonic() + XID_WAIT_S
    found: dict = {}
    while time.monotonic() < deadline:
        found = samples(source.collect())
        if series(found, "llmon_gpu_xid_errors_total"):
            break
        time.sleep(0.1)
    (labels,) = series(found, "llmon_gpu_xid_errors_total")
    assert labels["gpu"] == "1" and labels["xid"] == "48"
    assert value(found, "llmon_gpu_xid_errors_total", **labels) == 1.0
    assert value(found, "llmon_gpu_xid_last_timestamp_seconds", **labels) >= started


@pytest.mark.parametrize("backend", ["nvml"])
def test_the_real_backend_loads_pynvml_without_touching_a_gpu(backend: str) -> None:
    from exporters.gpu.sources import load_nvml_module  # noqa: PLC0415

    module = load_nvml_module(GpuSettings(gpu_backend=backend))
    assert module.__name__ == "pynvml"
    assert module.NVML_ERROR_NOT_SUPPORTED == 3 and module.NVML_ERROR_GPU_IS_LOST == 15
