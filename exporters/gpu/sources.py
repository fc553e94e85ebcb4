"""Building the GPU exporter's source from its settings: which NVML module, which extras."""

from __future__ import annotations

import socket
from types import ModuleType
from typing import Any

from exporters.base import ConfigError, Source
from exporters.gpu.collector import NvmlSource
from exporters.gpu.config import GpuSettings
from exporters.gpu.device import DeviceReader
from exporters.gpu.nvml import Nvml
from exporters.gpu.workload import DockerNames, ErrorCounts, WorkloadMapper, docker_client_factory


def load_nvml_module(settings: GpuSettings) -> ModuleType | Any:
    """The NVML binding to use; nothing is called on it here (--check-config touches no GPU)."""
    if settings.gpu_backend == "mock":
        from mock.twins.gpu.nvml import StandInNvml  # noqa: PLC0415 - the twin loads only when asked for

        return StandInNvml(settings.gpu_mock_db, settings.gpu_mock_host)
    try:
        import pynvml  # noqa: PLC0415 - a host without the binding can still run --gpu.backend=mock
    except ImportError:
        raise ConfigError("--gpu.backend", "nvml needs the nvidia-ml-py package (module pynvml)") from None
    return pynvml


def build_source(settings: GpuSettings, module: ModuleType | Any) -> NvmlSource:
    """The nvml source over an NVML module (real or stand-in), wired as the settings say."""
    nvml = Nvml(module)
    reader = DeviceReader(
        nvml, pcie_throughput=settings.collector_pcie_throughput, processes=settings.collector_workloads
    )
    mapper = None
    if settings.collector_workloads:
        errors = ErrorCounts()
        names = DockerNames(
            docker_client_factory(settings.docker_host, settings.docker_timeout),
            settings.docker_cache_ttl,
            errors,
        )
        mapper = WorkloadMapper(settings.path_procfs, names, errors)
    dcgm_hostname = None
    if settings.compat == "dcgm":
        dcgm_hostname = settings.compat_dcgm_hostname or socket.gethostname()
    return NvmlSource(
        nvml,
        reader,
        mapper=mapper,
        watch_xid=settings.collector_xid,
        dcgm_hostname=dcgm_hostname,
        max_workload_series=settings.workloads_max_series,
    )


def build_sources(settings: GpuSettings) -> list[Source]:
    return [build_source(settings, load_nvml_module(settings))]
