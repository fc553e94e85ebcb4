"""diskstats: I/O counters per block device (partitions, loop and ram devices excluded by default).

node_disk_read_bytes_total{device="vda"} 1.01079552e+09
node_disk_io_time_seconds_total{device="vda"} 12.96
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporters.base import Source
from exporters.node.config import matches
from exporters.node.sources.diskstats import read_diskstats
from exporters.node.sources.files import HostPaths

# (metric, help, attribute path on DiskStats); a dotted path reaches into the optional discard/flush
# groups, which exist only when the kernel prints those columns.
COUNTERS = (
    ("node_disk_reads_completed_total", "Reads completed successfully.", "reads_completed"),
    ("node_disk_reads_merged_total", "Adjacent reads merged into one request.", "reads_merged"),
    ("node_disk_read_bytes_total", "Bytes read successfully.", "read_bytes"),
    ("node_disk_read_time_seconds_total", "Seconds spent by all reads.", "read_time_seconds"),
    ("node_disk_writes_completed_total", "Writes completed successfully.", "writes_completed"),
    ("node_disk_writes_merged_total", "Adjacent writes merged into one request.", "writes_merged"),
    ("node_disk_written_bytes_total", "Bytes written successfully.", "written_bytes"),
    ("node_disk_write_time_seconds_total", "Seconds spent by all writes.", "write_time_seconds"),
    ("node_disk_io_time_seconds_total", "Seconds the device had I/O in flight.", "io_time_seconds"),
    (
        "node_disk_io_time_weighted_seconds_total",
        "Seconds spent doing I/O weighted by the number of requests in flight.",
        "io_time_weighted_seconds",
    ),
    ("node_disk_discards_completed_total", "Discards completed successfully.", "discards.completed"),
    ("node_disk_discards_merged_total", "Adjacent discards merged into one request.", "discards.merged"),
    ("node_disk_discarded_sectors_total", "512-byte sectors discarded successfully.", "discards.sectors"),
    ("node_disk_discard_time_seconds_total", "Seconds spent by all discards.", "discards.time_seconds"),
    ("node_disk_flush_requests_total", "Flush requests completed successfully.", "flushes.completed"),
    (
        "node_disk_flush_requests_time_seconds_total",
        "Seconds spent by all flush requests.",
        "flushes.time_seconds",
    ),
)


class DiskstatsCollector(Source):
    name = "diskstats"

    def __init__(self, paths: HostPaths, device_exclude: re.Pattern[str] | None) -> None:
        self._paths = paths
        self._device_exclude = device_exclude

    def collect(self) -> Iterator[Metric]:
        disks = [
            disk for disk in read_diskstats(self._paths) if not matches(self._device_exclude, disk.device)
        ]
        io_now = GaugeMetricFamily("node_disk_io_now", "I/O requests currently in flight.", labels=["device"])
        for disk in disks:
            io_now.add_metric([disk.device], disk.io_now)
        for metric, documentation, attribute in COUNTERS:
            family = CounterMetricFamily(metric, documentation, labels=["device"])
            for disk in disks:
                value = _lookup(disk, attribute)
                if value is not None:
                    family.add_metric([disk.device], value)
            if family.samples:
                yield family
        if io_now.samples:
            yield io_now


def _lookup(obj: object, dotted: str) -> float | None:
    for part in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj  # type: ignore[return-value]
