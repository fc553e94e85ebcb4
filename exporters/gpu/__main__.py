"""llmon-gpu-exporter: NVIDIA GPU metrics from NVML, with the workloads using each GPU."""

from __future__ import annotations

from exporters.base import ExporterSpec, run
from exporters.gpu.config import GpuSettings
from exporters.gpu.sources import build_sources

SPEC = ExporterSpec(
    name="gpu",
    default_port=9872,
    description="NVIDIA GPU metrics from NVML: load, memory, thermals, power, errors, XIDs, MIG, workloads.",
    settings_model=GpuSettings,
    build_sources=build_sources,
)


def main() -> None:
    raise SystemExit(run(SPEC))


if __name__ == "__main__":
    main()
