"""The GPU exporter's options: which NVML to load, what to add, where to look up workloads.

``--gpu.backend=mock`` swaps the real NVML binding (``pynvml`` from nvidia-ml-py) for the twin's
stand-in module (mock/twins/gpu), which reads its state from the mock database; nothing else in the
exporter knows the difference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from exporters.base import ExporterSettings
from exporters.base.settings import Duration, flag


class GpuSettings(ExporterSettings):
    """Options of llmon-gpu-exporter on top of the common ones."""

    gpu_backend: Literal["nvml", "mock"] = Field(
        "nvml",
        description="NVML implementation: the driver's (nvml) or the mock twin's stand-in (mock).",
        json_schema_extra=flag("gpu.backend"),
    )
    gpu_mock_db: Path = Field(
        Path("var/mock.db"),
        description="Mock database the stand-in NVML reads (only with --gpu.backend=mock).",
        json_schema_extra=flag("gpu.mock-db"),
    )
    gpu_mock_host: str | None = Field(
        None,
        description="Seeded host whose GPUs the stand-in serves (default: the first host with GPUs).",
        json_schema_extra=flag("gpu.mock-host"),
    )
    compat: Literal["none", "dcgm"] = Field(
        "none",
        description="Also emit another exporter's names: dcgm adds dcgm-exporter's DCGM_FI_DEV_* series.",
        json_schema_extra=flag("compat"),
    )
    compat_dcgm_hostname: str | None = Field(
        None,
        description="Value of the Hostname label of the dcgm series (default: this machine's hostname).",
        json_schema_extra=flag("compat.dcgm.hostname"),
    )
    collector_pcie_throughput: bool = Field(
        False,
        description="Read PCIe throughput (each read blocks about 20 ms per GPU and direction).",
        json_schema_extra=flag("collector.pcie-throughput"),
    )
    collector_xid: bool = Field(
        True,
        description="Watch NVML events for XID errors in a background thread.",
        json_schema_extra=flag("collector.xid"),
    )
    collector_workloads: bool = Field(
        True,
        description="Map GPU processes to containers and systemd units (needs the host PID namespace).",
        json_schema_extra=flag("collector.workloads"),
    )
    path_procfs: Path = Field(
        Path("/proc"),
        description="procfs mount point, where process cgroups are read.",
        json_schema_extra=flag("path.procfs"),
    )
    docker_host: str | None = Field(
        None,
        description="Docker Engine API that names containers (default: $DOCKER_HOST, else the local socket).",
        json_schema_extra=flag("docker.host"),
    )
    docker_cache_ttl: Duration = Field(
        60.0,
        description="How long a container name looked up from Docker is reused.",
        json_schema_extra=flag("docker.cache-ttl"),
    )
    docker_timeout: Duration = Field(
        1.0,
        description="Longest one Docker API call may take before the short container id is used instead.",
        json_schema_extra=flag("docker.timeout"),
    )
    workloads_max_series: Annotated[int, Field(ge=1)] = Field(
        200,
        description="Most container/unit series per scrape; the rest are counted as dropped.",
        json_schema_extra=flag("workloads.max-series"),
    )

    @model_validator(mode="after")
    def _mock_options_need_the_mock(self) -> GpuSettings:
        if self.gpu_mock_host is not None and self.gpu_backend != "mock":
            raise ValueError("--gpu.mock-host: only meaningful with --gpu.backend=mock")
        return self
