"""Mounted filesystems (/proc/1/mounts) and their sizes (statvfs(3), or the documented JSON seam).

The mount table has fstab(5) lines `device mountpoint fstype options dump pass` with blanks and
tabs in paths written as octal escapes (\\040). It is read from PID 1's view so that an exporter
in a container with the host's /proc sees the host's mounts; with hidepid, /proc/1 is invisible and
/proc/mounts (our own view) is the fallback.

statvfs() on a hung NFS or FUSE mount blocks in the kernel and cannot be interrupted, so the calls
run in daemon threads and a scrape waits for them at most `timeout` seconds. A mount that did not
answer is reported with device_error="mountpoint timeout" and is not asked again until its stuck call
returns, so at most one thread per hung mount is ever parked (node_exporter's stuck-mount tracker
does the same). One scrape's calls share a single thread at first, since starting a thread costs far
more than a statvfs that answers; the calls still waiting when one does not answer quickly each get
a thread of their own, so a hung mount holds up no other mount's answer (see _Calls).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, wait
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, NonNegativeInt, TypeAdapter, ValidationError

from exporters.node.sources.files import HostPaths, describe_os_error, malformed, read_file, read_text

MOUNT_TIMEOUT_ERROR = "mountpoint timeout"
MISSING_STATVFS_ENTRY = "no statvfs entry"
#: How long one scrape's statvfs calls may run one after another in a single thread before each call
#: not yet started gets a thread of its own. Healthy local filesystems answer in microseconds, healthy
#: NFS in milliseconds; a call slower than this is likely hung.
SERIAL_SECONDS = 0.1
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")
_MIN_MOUNT_FIELDS = 4


@dataclass(frozen=True)
class Mount:
    device: str
    mountpoint: str
    fstype: str
    options: frozenset[str]

    @property
    def read_only(self) -> bool:
        return "ro" in self.options


@dataclass(frozen=True)
class FsStats:
    """Sizes in bytes and inode counts, the way node_exporter derives them from statfs."""

    size_bytes: int
    free_bytes: int
    avail_bytes: int
    files: int
    files_free: int
    read_only: bool


# What a stats provider answers per mount point: numbers, or the device_error text.
StatResult = FsStats | str


def read_mounts(paths: HostPaths) -> list[Mount]:
    """PID 1's mount table, falling back to /proc/mounts, with mount points as the host names them."""
    primary, fallback = paths.proc("1", "mounts"), paths.proc("mounts")
    try:
        path, text = primary, read_file(primary)
    except OSError:
        path, text = fallback, read_text(fallback)
    return [
        Mount(mount.device, strip_rootfs(mount.mountpoint, paths.rootfs), mount.fstype, mount.options)
        for mount in parse_mounts(text, path)
    ]


def parse_mounts(text: str, path: Path) -> list[Mount]:
    mounts = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < _MIN_MOUNT_FIELDS:
            raise malformed(
                path, f"line {number} has {len(fields)} fields, expected at least {_MIN_MOUNT_FIELDS}"
            )
        device, mountpoint, fstype, options = (_unescape(field) for field in fields[:_MIN_MOUNT_FIELDS])
        mounts.append(Mount(device, mountpoint, fstype, frozenset(options.split(","))))
    return mounts


def strip_rootfs(mountpoint: str, rootfs: Path) -> str:
    """`/host/home` -> `/home` when the host's root is mounted at /host and we read our own mounts."""
    root = str(rootfs).rstrip("/")
    if root and (mountpoint == root or mountpoint.startswith(root + "/")):
        return mountpoint[len(root) :] or "/"
    return mountpoint


def _unescape(field: str) -> str:
    return _OCTAL_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)


class StatvfsProber:
    """Real statvfs() of each mount point under the rootfs, bounded by a timeout (see module doc)."""

    def __init__(
        self,
        paths: HostPaths,
        timeout: float,
        statvfs: Callable[[Path], os.statvfs_result] = os.statvfs,
    ) -> None:
        self._paths = paths
        self._timeout = timeout
        self._statvfs = statvfs
        self._stuck: dict[str, Future[os.statvfs_result]] = {}
        self._lock = threading.Lock()

    def stat(self, mountpoints: Iterable[str]) -> dict[str, StatResult]:
        results: dict[str, StatResult] = {}
        targets: dict[str, Path] = {}
        with self._lock:
            for mountpoint in dict.fromkeys(mountpoints):
                stuck = self._stuck.get(mountpoint)
                if stuck is not None and not stuck.done():
                    results[mountpoint] = MOUNT_TIMEOUT_ERROR
                    continue
                self._stuck.pop(mountpoint, None)
                targets[mountpoint] = self._paths.root(mountpoint)
        calls = _Calls(self._statvfs, targets)
        calls.run(self._timeout)
        with self._lock:
            for mountpoint, call in calls.futures.items():
                if not call.done():
                    self._stuck[mountpoint] = call
                    results[mountpoint] = MOUNT_TIMEOUT_ERROR
                elif (error := call.exception()) is not None:
                    results[mountpoint] = _device_error(error)
                else:
                    result = call.result()
                    results[mountpoint] = _fs_stats(result, bool(result.f_flag & os.ST_RDONLY))
        return results


class _Calls:
    """One scrape's statvfs calls, one future per mount point, each call made in a daemon thread.

    A single thread works through the calls in order; whatever it has not started after
    SERIAL_SECONDS is taken back and every such call gets a thread of its own. So the usual scrape
    starts one thread instead of one per mount, and a mount that hangs delays the others by at most
    SERIAL_SECONDS. A thread is named after the mount point it is calling statvfs on.
    """

    def __init__(self, statvfs: Callable[[Path], os.statvfs_result], targets: dict[str, Path]) -> None:
        self._statvfs = statvfs
        self._targets = targets
        self.futures: dict[str, Future[os.statvfs_result]] = {mountpoint: Future() for mountpoint in targets}
        self._not_started = deque(targets)
        self._lock = threading.Lock()

    def run(self, timeout: float) -> None:
        """Make every call and wait for them, at most `timeout` seconds in all."""
        if not self._targets:
            return
        deadline = time.monotonic() + timeout
        threading.Thread(target=self._work_through, name="statvfs", daemon=True).start()
        wait(self.futures.values(), timeout=min(timeout, SERIAL_SECONDS))
        with self._lock:
            left, self._not_started = list(self._not_started), deque()
        for mountpoint in left:
            threading.Thread(
                target=self._call, args=(mountpoint,), name=f"statvfs {mountpoint}", daemon=True
            ).start()
        wait(self.futures.values(), timeout=max(0.0, deadline - time.monotonic()))

    def _work_through(self) -> None:
        while True:
            with self._lock:
                if not self._not_started:
                    return
                mountpoint = self._not_started.popleft()
            threading.current_thread().name = f"statvfs {mountpoint}"
            self._call(mountpoint)

    def _call(self, mountpoint: str) -> None:
        future = self.futures[mountpoint]
        try:
            future.set_result(self._statvfs(self._targets[mountpoint]))
        except BaseException as exc:  # handed to the scrape, which reports it as device_error
            future.set_exception(exc)


def _device_error(error: BaseException) -> str:
    return describe_os_error(error) if isinstance(error, OSError) else str(error)


def _fs_stats(counts: os.statvfs_result | _StatvfsEntry, read_only: bool) -> FsStats:
    """statvfs counts blocks of f_frsize bytes; f_bfree includes root's reserve, f_bavail does not."""
    return FsStats(
        size_bytes=counts.f_blocks * counts.f_frsize,
        free_bytes=counts.f_bfree * counts.f_frsize,
        avail_bytes=counts.f_bavail * counts.f_frsize,
        files=counts.f_files,
        files_free=counts.f_ffree,
        read_only=read_only,
    )


class _StatvfsEntry(BaseModel):
    """One mount point in the statvfs seam file (the shared contract's JSON shape)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    f_frsize: NonNegativeInt
    f_blocks: NonNegativeInt
    f_bfree: NonNegativeInt
    f_bavail: NonNegativeInt
    f_files: NonNegativeInt
    f_ffree: NonNegativeInt
    readonly: bool = False


_STATVFS_TABLE = TypeAdapter(dict[str, _StatvfsEntry])


class StatvfsFile:
    """Sizes from `--collector.filesystem.statvfs-file`, re-read every scrape because twins rewrite it.

    Real statvfs() of a fixture or twin tree would report the test machine's own disk, so this is the
    one place the mock hands the exporter its numbers.
    """

    def __init__(self, path: Path) -> None:
        self._path = path

    def stat(self, mountpoints: Iterable[str]) -> dict[str, StatResult]:
        table = self.load()
        return {mountpoint: table.get(mountpoint, MISSING_STATVFS_ENTRY) for mountpoint in mountpoints}

    def load(self) -> dict[str, FsStats]:
        raw = read_text(self._path)
        try:
            entries = _STATVFS_TABLE.validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the document"
            raise malformed(self._path, f"{where}: {first['msg']}") from None
        return {mountpoint: _fs_stats(entry, entry.readonly) for mountpoint, entry in entries.items()}
