"""llmon-container-exporter: Docker container metrics from the Docker Engine API."""

from __future__ import annotations

from exporters.base import ExporterSpec, run
from exporters.container.collector import build_sources
from exporters.container.config import ContainerSettings

SPEC = ExporterSpec(
    name="container",
    default_port=9873,
    description="Docker containers: state, health, restarts, OOM kills, CPU, memory, network, disk, GPUs.",
    settings_model=ContainerSettings,
    build_sources=build_sources,
)


def main() -> None:
    raise SystemExit(run(SPEC))


if __name__ == "__main__":
    main()
