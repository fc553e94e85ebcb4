"""llmon-node-exporter: host metrics from procfs and sysfs under node_exporter's names."""

from __future__ import annotations

from exporters.base import ExporterSpec, run
from exporters.node.collectors import build_sources
from exporters.node.config import NodeSettings

SPEC = ExporterSpec(
    name="node",
    default_port=9871,
    description="Host metrics (CPU, memory, PSI, filesystems, disks, network, sensors) from procfs/sysfs.",
    settings_model=NodeSettings,
    build_sources=build_sources,
)


def main() -> None:
    raise SystemExit(run(SPEC))


if __name__ == "__main__":
    main()
