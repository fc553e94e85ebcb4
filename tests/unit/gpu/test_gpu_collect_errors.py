"""NVML failures short of NVML itself land in llmon_exporter_collect_errors_total{source="nvml",reason}
and never fail the scrape: fields refused once or failing each time, lost and vanished GPUs, workloads.

Each test first collects once and drains the tally: the seeded SKU has fields NVML refuses by nature
(counted once, on that first collection), so what a test injects afterwards is all that is new.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import httpx
from conftest import hostnames
from gpu_helpers import samples, series, value
from prometheus_client.parser import text_string_to_metric_families

from exporters.base import REASONS, ExporterServer
from exporters.gpu.__main__ import SPEC
from exporters.gpu.collector import NvmlSource
from exporters.gpu.config import GpuSettings
from exporters.gpu.nvml import REASON_BY_CODE
from mock.twins.gpu.errors import NVMLError
from tests.unit.mock_clock import play

GPUS = 8  # the default mock host


def _refusing(code: int) -> Callable[..., int]:
    def refuse(*_args: object) -> int:
        raise NVMLError(code)

    return refuse


def _warm(make_source, **options: object) -> tuple[NvmlSource, object, dict[str, int]]:
    """A source after one collection, with what that collection tallied (the SKU's absent fields)."""
    source, module = make_source(**{"collector_workloads": False, **options})
    list(source.collect())
    return source, module, dict(source.take_partial_errors())


def test_the_reasons_are_ones_the_base_counts() -> None:
    assert set(REASON_BY_CODE.values()) <= set(REASONS)


def test_a_fields_first_refusal_counts_and_it_is_never_asked_again(db: Path, make_source) -> None:
    play(db, "normal", 10.0)
    source, module, at_start = _warm(make_source)
    assert at_start.get("unsupported", 0) >= 1  # the SKU's own absent fields, once
    list(source.collect())
    assert source.take_partial_errors() == {}  # and not again

    module.nvmlDeviceGetPowerUsage = _refusing(3)  # NotSupported
    module.nvmlDeviceGetSerial = _refusing(4)  # NoPermission
    first = samples(source.collect())
    assert source.take_partial_errors() == {"unsupported": GPUS, "auth": GPUS}
    second = samples(source.collect())

    assert source.take_partial_errors() == {}
    assert series(first, "llmon_gpu_power_usage_watts") == series(second, "llmon_gpu_power_usage_watts") == []
    assert series(second, "llmon_gpu_nvml_errors_total") == []  # not transient: no NVML error counter
    assert len(series(second, "llmon_gpu_temperature_celsius")) == GPUS


def test_a_transient_failure_counts_on_every_call(db: Path, make_source) -> None:
    play(db, "normal", 10.0)
    source, module, _ = _warm(make_source)
    module.nvmlDeviceGetPowerUsage = _refusing(10)  # Timeout
    module.nvmlDeviceGetTotalEnergyConsumption = _refusing(999)  # Unknown

    list(source.collect())
    found = samples(source.collect())

    assert source.take_partial_errors() == {"timeout": 2 * GPUS, "io": 2 * GPUS}
    assert value(found, "llmon_gpu_nvml_errors_total", error="Timeout") == 2 * GPUS
    assert value(found, "llmon_gpu_nvml_errors_total", error="Unknown") == 2 * GPUS


def test_a_vanished_gpu_counts_once_and_a_lost_gpu_on_every_scan(db: Path, make_source) -> None:
    play(db, "normal", 10.0)
    source, module, _ = _warm(make_source, cache_s=0.0)
    module.nvmlDeviceGetCount = lambda: GPUS - 1

    list(source.collect())
    list(source.collect())
    assert source.take_partial_errors() == {"unreachable": 1}

    del module.nvmlDeviceGetCount  # the stand-in's own enumeration again
    list(source.collect())
    source.take_partial_errors()
    play(db, "gpu-xid-error", 90.0)  # XID 79 at t=60: GPU 3 answers GpuIsLost
    list(source.collect())
    list(source.collect())
    assert source.take_partial_errors()["unreachable"] == 2


def test_unreadable_cgroups_count_as_io_for_what_is_new_each_time(
    db: Path, make_source, tmp_path: Path
) -> None:
    host = hostnames(db)["ws-rtx4090"]
    play(db, "normal", 10.0)
    # No /proc to read: every GPU process's cgroup is unreadable.
    source, _, _ = _warm(make_source, gpu_mock_host=host, path_procfs=tmp_path / "no-proc",
                         collector_workloads=True)  # fmt: skip
    found = samples(source.collect())

    unreadable_per_scan = value(found, "llmon_gpu_workload_errors_total", reason="cgroup_unreadable") / 2
    assert unreadable_per_scan >= 1
    assert source.take_partial_errors() == {"io": unreadable_per_scan}


def test_the_exporter_counts_them_and_keeps_the_source_up(db: Path, make_source) -> None:
    play(db, "normal", 10.0)
    source, module = make_source(collector_workloads=False)
    module.nvmlDeviceGetPowerUsage = _refusing(10)
    spec = dataclasses.replace(SPEC, build_sources=lambda _settings: [source])
    settings = GpuSettings(gpu_backend="mock", gpu_mock_db=db, web_listen_address="127.0.0.1:0")

    with ExporterServer(spec, settings) as server, httpx.Client(timeout=10) as client:
        client.get(f"{server.url}/metrics")
        response = client.get(f"{server.url}/metrics")

    found = {
        (sample.name, sample.labels.get("source"), sample.labels.get("reason")): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    assert response.status_code == 200
    assert found[("llmon_exporter_up", "nvml", None)] == 1.0
    # One collection at start, then one per scrape; each fails the power reading of every GPU.
    assert found[("llmon_exporter_collect_errors_total", "nvml", "timeout")] in (2 * GPUS, 3 * GPUS)
    assert found[("llmon_exporter_collect_errors_total", "nvml", "unsupported")] >= 1  # the SKU's, once
    assert found[("llmon_exporter_collect_errors_total", "nvml", "internal")] == 0.0
    assert ("llmon_gpu_temperature_celsius", None, None) in found  # the other fields still served
    assert ("llmon_gpu_power_usage_watts", None, None) not in found
