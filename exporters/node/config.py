"""The node exporter's options: where the host's trees are, which collectors run, what they skip.

Flag names and defaults follow node_exporter's so an operator can carry a command line over.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from exporters.base import ExporterSettings
from exporters.base.settings import Duration, flag

# Collector names in the order their sources are built (also the `source` label values).
COLLECTOR_NAMES = (
    "cpu",
    "meminfo",
    "loadavg",
    "pressure",
    "filesystem",
    "diskstats",
    "netdev",
    "uname",
    "os",
    "stat",
    "time",
    "hwmon",
)

# node_exporter's defaults: pseudo and virtual filesystems, container layers, and partitions and
# RAM/loop/floppy devices whose I/O is already counted on their parent disk.
DEFAULT_MOUNT_POINTS_EXCLUDE = (
    r"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
)
DEFAULT_FS_TYPES_EXCLUDE = (
    r"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs"
    r"|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$"
)
DEFAULT_DISK_DEVICE_EXCLUDE = r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$"


def _valid_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


# A regular expression matched with re.search; the empty string disables the filter.
Regex = Annotated[str, AfterValidator(_valid_regex)]


def compile_filter(pattern: str) -> re.Pattern[str] | None:
    """The compiled filter, or None when it is empty (an empty pattern would match everything)."""
    return re.compile(pattern) if pattern else None


def matches(pattern: re.Pattern[str] | None, text: str) -> bool:
    """Whether an exclude filter from compile_filter() drops `text` (None drops nothing)."""
    return pattern is not None and pattern.search(text) is not None


def _switch(collector: str, what: str) -> Any:
    return Field(
        True,
        description=f"Enable the {collector} collector ({what}).",
        json_schema_extra=flag(f"collector.{collector}"),
    )


def _exclude(collector: str, flag_word: str, what: str, default: str) -> Any:
    """``--collector.<collector>.<flag_word>-exclude``: a regex of `what` the collector skips."""
    return Field(
        default,
        description=f"Regular expression of {what} the {collector} collector skips.",
        json_schema_extra=flag(f"collector.{collector}.{flag_word}-exclude"),
    )


class NodeSettings(ExporterSettings):
    """Options of llmon-node-exporter on top of the common ones."""

    path_procfs: Path = Field(
        Path("/proc"), description="procfs mount point.", json_schema_extra=flag("path.procfs")
    )
    path_sysfs: Path = Field(
        Path("/sys"), description="sysfs mount point.", json_schema_extra=flag("path.sysfs")
    )
    path_rootfs: Path = Field(
        Path("/"),
        description="Where the host's root filesystem is mounted (for os-release and mount point sizes).",
        json_schema_extra=flag("path.rootfs"),
    )

    collector_cpu: bool = _switch("cpu", "CPU time per mode, identity, frequency")
    collector_meminfo: bool = _switch("meminfo", "/proc/meminfo")
    collector_loadavg: bool = _switch("loadavg", "load averages")
    collector_pressure: bool = _switch("pressure", "pressure stall information")
    collector_filesystem: bool = _switch("filesystem", "size and free space of mounted filesystems")
    collector_diskstats: bool = _switch("diskstats", "block device I/O")
    collector_netdev: bool = _switch("netdev", "network interface traffic and link state")
    collector_uname: bool = _switch("uname", "kernel identity")
    collector_os: bool = _switch("os", "os-release identity")
    collector_stat: bool = _switch("stat", "boot time, context switches, forks, interrupts, processes")
    collector_time: bool = _switch("time", "wall clock and time zone")
    collector_hwmon: bool = _switch("hwmon", "hardware temperature, voltage, power and fan sensors")

    collector_filesystem_statvfs_file: Path | None = Field(
        None,
        description="JSON file of statvfs results per mount point used instead of statvfs() (twins, tests).",
        json_schema_extra=flag("collector.filesystem.statvfs-file"),
    )
    collector_filesystem_mount_points_exclude: Regex = _exclude(
        "filesystem", "mount-points", "mount points", DEFAULT_MOUNT_POINTS_EXCLUDE
    )
    collector_filesystem_fs_types_exclude: Regex = _exclude(
        "filesystem", "fs-types", "filesystem types", DEFAULT_FS_TYPES_EXCLUDE
    )
    collector_filesystem_mount_timeout: Duration = Field(
        5.0,
        description="How long one scrape waits for statvfs() of a mount before reporting it stuck.",
        json_schema_extra=flag("collector.filesystem.mount-timeout"),
    )
    collector_diskstats_device_exclude: Regex = _exclude(
        "diskstats", "device", "block devices", DEFAULT_DISK_DEVICE_EXCLUDE
    )
    collector_netdev_device_exclude: Regex = _exclude("netdev", "device", "network interfaces", "")

    def enabled_collectors(self) -> list[str]:
        return [name for name in COLLECTOR_NAMES if getattr(self, f"collector_{name}")]
