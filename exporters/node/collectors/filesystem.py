"""filesystem: size, free space and inodes of each real mounted filesystem.

    node_filesystem_avail_bytes{device="/dev/vda",mountpoint="/",fstype="ext4",device_error=""} 1.2e+10
    node_filesystem_device_error{device="nas:/export",mountpoint="/mnt/nas",fstype="nfs4",
                                 device_error="mountpoint timeout"} 1.0

Labels are node_exporter's, including `device_error`, which is empty unless statvfs failed and then
says why; a mount whose statvfs failed keeps only its device_error and readonly series.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol

from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from exporters.base import Source
from exporters.node.config import matches
from exporters.node.sources.files import HostPaths
from exporters.node.sources.filesystem import FsStats, Mount, StatResult, read_mounts

LABELS = ["device", "mountpoint", "fstype", "device_error"]
SIZE_METRICS = (
    ("node_filesystem_size_bytes", "Size of the filesystem in bytes.", "size_bytes"),
    ("node_filesystem_free_bytes", "Free space in bytes, including space reserved for root.", "free_bytes"),
    ("node_filesystem_avail_bytes", "Free space in bytes that unprivileged users may use.", "avail_bytes"),
    ("node_filesystem_files", "Total number of inodes (file nodes).", "files"),
    ("node_filesystem_files_free", "Number of free inodes (file nodes).", "files_free"),
)


class StatsProvider(Protocol):
    """Where sizes come from: real statvfs (StatvfsProber) or the statvfs seam file (StatvfsFile)."""

    def stat(self, mountpoints: Iterable[str]) -> dict[str, StatResult]: ...


class FilesystemCollector(Source):
    name = "filesystem"

    def __init__(
        self,
        paths: HostPaths,
        stats: StatsProvider,
        mount_points_exclude: re.Pattern[str] | None,
        fs_types_exclude: re.Pattern[str] | None,
    ) -> None:
        self._paths = paths
        self._stats = stats
        self._mount_points_exclude = mount_points_exclude
        self._fs_types_exclude = fs_types_exclude

    def collect(self) -> Iterator[Metric]:
        mounts = self.monitored_mounts()
        results = self._stats.stat(mount.mountpoint for mount in mounts)
        error_family = GaugeMetricFamily(
            "node_filesystem_device_error", "1 when statvfs of the mount point failed, else 0.", labels=LABELS
        )
        readonly_family = GaugeMetricFamily(
            "node_filesystem_readonly", "1 when the filesystem is mounted read-only, else 0.", labels=LABELS
        )
        size_families = [GaugeMetricFamily(metric, doc, labels=LABELS) for metric, doc, _ in SIZE_METRICS]
        for mount in mounts:
            result = results[mount.mountpoint]
            error = result if isinstance(result, str) else ""
            labels = [mount.device, mount.mountpoint, mount.fstype, error]
            error_family.add_metric(labels, 1 if error else 0)
            readonly_family.add_metric(labels, 1 if _read_only(mount, result) else 0)
            if isinstance(result, FsStats):
                for family, (_, _, field) in zip(size_families, SIZE_METRICS, strict=True):
                    family.add_metric(labels, getattr(result, field))
        yield error_family
        yield readonly_family
        yield from size_families

    def monitored_mounts(self) -> list[Mount]:
        """Mounts left after the exclude patterns, each (device, mountpoint, fstype) once."""
        unique: dict[tuple[str, str, str], Mount] = {}
        for mount in read_mounts(self._paths):
            if matches(self._mount_points_exclude, mount.mountpoint) or matches(
                self._fs_types_exclude, mount.fstype
            ):
                continue
            unique.setdefault((mount.device, mount.mountpoint, mount.fstype), mount)
        return list(unique.values())


def _read_only(mount: Mount, result: StatResult) -> bool:
    return mount.read_only or (isinstance(result, FsStats) and result.read_only)
