"""The node exporter's collectors, one Source per node_exporter collector it re-implements.

Each module turns the typed data of the matching `exporters.node.sources` reader into metric
families; only the readers know file formats, only these modules know metric names.
"""

from __future__ import annotations

import platform
from collections.abc import Callable

from exporters.base import Source
from exporters.node.collectors.clock import Clock, TimeCollector
from exporters.node.collectors.cpu import CpuCollector
from exporters.node.collectors.diskstats import DiskstatsCollector
from exporters.node.collectors.filesystem import FilesystemCollector, StatsProvider
from exporters.node.collectors.hwmon import HwmonCollector
from exporters.node.collectors.loadavg import LoadavgCollector
from exporters.node.collectors.meminfo import MeminfoCollector
from exporters.node.collectors.netdev import NetdevCollector
from exporters.node.collectors.osrelease import OsReleaseCollector
from exporters.node.collectors.pressure import PressureCollector
from exporters.node.collectors.stat import StatCollector
from exporters.node.collectors.uname import UnameCollector
from exporters.node.config import NodeSettings, compile_filter
from exporters.node.sources.files import HostPaths
from exporters.node.sources.filesystem import StatvfsFile, StatvfsProber


def build_sources(
    settings: NodeSettings,
    clock: Clock | None = None,
    machine: Callable[[], str] = platform.machine,
) -> list[Source]:
    """The enabled collectors; `clock` and `machine` are injectable so golden output is reproducible."""
    paths = HostPaths(settings.path_procfs, settings.path_sysfs, settings.path_rootfs)
    factories: dict[str, Callable[[], Source]] = {
        "cpu": lambda: CpuCollector(paths),
        "meminfo": lambda: MeminfoCollector(paths),
        "loadavg": lambda: LoadavgCollector(paths),
        "pressure": lambda: PressureCollector(paths),
        "filesystem": lambda: FilesystemCollector(
            paths,
            _filesystem_stats(settings, paths),
            compile_filter(settings.collector_filesystem_mount_points_exclude),
            compile_filter(settings.collector_filesystem_fs_types_exclude),
        ),
        "diskstats": lambda: DiskstatsCollector(
            paths, compile_filter(settings.collector_diskstats_device_exclude)
        ),
        "netdev": lambda: NetdevCollector(paths, compile_filter(settings.collector_netdev_device_exclude)),
        "uname": lambda: UnameCollector(paths, machine),
        "os": lambda: OsReleaseCollector(paths),
        "stat": lambda: StatCollector(paths),
        "time": lambda: TimeCollector(clock or Clock()),
        "hwmon": lambda: HwmonCollector(paths),
    }
    return [factories[name]() for name in settings.enabled_collectors()]


def _filesystem_stats(settings: NodeSettings, paths: HostPaths) -> StatsProvider:
    if settings.collector_filesystem_statvfs_file is not None:
        return StatvfsFile(settings.collector_filesystem_statvfs_file)
    return StatvfsProber(paths, timeout=settings.collector_filesystem_mount_timeout)
