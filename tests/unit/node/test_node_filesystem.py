"""Which mounts are reported, where their sizes come from, and how a hung mount is contained."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from node_fixtures import fixture_dir, fixture_sources, registry_for, source_named

from exporters.node.collectors.filesystem import FilesystemCollector
from exporters.node.sources.files import HostPaths
from exporters.node.sources.filesystem import (
    MISSING_STATVFS_ENTRY,
    MOUNT_TIMEOUT_ERROR,
    FsStats,
    StatvfsProber,
)


def _reported(name: str, **overrides: object) -> set[tuple[str, str, str]]:
    registry, collector = registry_for(fixture_sources(fixture_dir(name), **overrides))
    assert collector.failures == {}
    return {
        (sample.labels["device"], sample.labels["mountpoint"], sample.labels["fstype"])
        for family in registry.collect()
        if family.name == "node_filesystem_device_error"
        for sample in family.samples
    }


def test_pseudo_and_container_filesystems_are_excluded_by_default() -> None:
    assert _reported("linux-6.8-gpu-server") == {
        ("/dev/nvme0n1p2", "/", "ext4"),
        ("tmpfs", "/run", "tmpfs"),
        ("tmpfs", "/run/lock", "tmpfs"),
        ("/dev/nvme0n1p1", "/boot/efi", "vfat"),
        ("/dev/nvme1n1", "/data", "ext4"),
        ("tmpfs", "/run/user/1000", "tmpfs"),
    }  # not /proc, /sys/*, /dev/*, snap squashfs, docker overlay and netns, /run/credentials/*


def test_exclude_patterns_can_be_replaced() -> None:
    reported = _reported(
        "linux-6.8-gpu-server",
        collector_filesystem_mount_points_exclude="^/(run|boot)($|/)",
        collector_filesystem_fs_types_exclude="^tmpfs$",
    )
    mountpoints = {mountpoint for _, mountpoint, _ in reported}
    assert "/run/user/1000" not in mountpoints
    assert "/boot/efi" not in mountpoints
    assert {"/", "/data", "/dev/pts", "/sys/fs/cgroup"} <= mountpoints
    assert "/dev/shm" not in mountpoints  # tmpfs


def test_empty_exclude_pattern_excludes_nothing() -> None:
    reported = _reported(
        "linux-6.18-vm",
        collector_filesystem_mount_points_exclude="",
        collector_filesystem_fs_types_exclude="",
    )
    mounts = (fixture_dir("linux-6.18-vm") / "proc/1/mounts").read_text().splitlines()
    assert reported == {tuple(line.split()[:3]) for line in mounts}


def test_read_only_comes_from_mount_options_and_statvfs(tmp_path: Path) -> None:
    name = "linux-3.10-centos7"
    registry, _ = registry_for(fixture_sources(fixture_dir(name)))
    labels = {
        "device": "/dev/mapper/centos-archive",
        "mountpoint": "/srv/archive",
        "fstype": "xfs",
        "device_error": "",
    }
    assert registry.get_sample_value("node_filesystem_readonly", labels) == 1
    home = {**labels, "device": "/dev/mapper/centos-home", "mountpoint": "/home"}
    assert registry.get_sample_value("node_filesystem_readonly", home) == 0
    statvfs = json.loads((fixture_dir(name) / "statvfs.json").read_text())
    statvfs["/home"]["readonly"] = True  # remounted read-only after an error: options still say rw
    seam = tmp_path / "statvfs.json"
    seam.write_text(json.dumps(statvfs))
    registry, _ = registry_for(fixture_sources(fixture_dir(name), collector_filesystem_statvfs_file=seam))
    assert registry.get_sample_value("node_filesystem_readonly", home) == 1


def test_mount_missing_from_statvfs_file_is_a_device_error(tmp_path: Path) -> None:
    seam = tmp_path / "statvfs.json"
    seam.write_text("{}")
    registry, collector = registry_for(
        fixture_sources(fixture_dir("linux-6.18-vm"), collector_filesystem_statvfs_file=seam)
    )
    labels = {
        "device": "/dev/vda",
        "mountpoint": "/",
        "fstype": "ext4",
        "device_error": MISSING_STATVFS_ENTRY,
    }
    assert registry.get_sample_value("node_filesystem_device_error", labels) == 1
    assert registry.get_sample_value("node_filesystem_size_bytes", labels) is None
    assert collector.failures == {}


def test_real_statvfs_of_mount_points_under_the_rootfs(tmp_path: Path) -> None:
    """Without the seam file, sizes are statvfs() of <rootfs>/<mountpoint>."""
    (tmp_path / "proc/1").mkdir(parents=True)
    (tmp_path / "proc/1/mounts").write_text("/dev/sdz1 /srv ext4 rw 0 0\n")
    (tmp_path / "root/srv").mkdir(parents=True)
    settings = {
        "path_procfs": tmp_path / "proc",
        "path_rootfs": tmp_path / "root",
        "collector_filesystem_statvfs_file": None,
    }
    registry, collector = registry_for([source_named(fixture_sources(tmp_path, **settings), "filesystem")])
    expected = os.statvfs(tmp_path / "root/srv")
    labels = {"device": "/dev/sdz1", "mountpoint": "/srv", "fstype": "ext4", "device_error": ""}
    assert (
        registry.get_sample_value("node_filesystem_size_bytes", labels)
        == expected.f_blocks * expected.f_frsize
    )
    assert registry.get_sample_value("node_filesystem_files", labels) == expected.f_files
    assert collector.failures == {}


def test_statvfs_failure_is_labelled_like_node_exporter(tmp_path: Path) -> None:
    prober = StatvfsProber(HostPaths(tmp_path, tmp_path, tmp_path), timeout=5)
    assert prober.stat(["/does/not/exist"]) == {"/does/not/exist": "no such file or directory"}


class HungMount:
    """statvfs() stand-in: /mnt/nfs blocks like a dead NFS server until released, the rest answer."""

    def __init__(self, root: Path) -> None:
        self.hung = root / "mnt/nfs"
        self.release = threading.Event()
        self.calls: list[Path] = []

    def __call__(self, path: Path) -> os.statvfs_result:
        self.calls.append(path)
        if path == self.hung:
            self.release.wait()
        return os.statvfs_result((4096, 4096, 100, 40, 30, 10, 5, 5, 0, 255))


@pytest.fixture
def hung(tmp_path: Path):
    mount = HungMount(tmp_path)
    yield mount
    mount.release.set()  # never leave a parked thread behind


def test_hung_mount_is_reported_and_not_asked_again_until_it_answers(tmp_path: Path, hung: HungMount) -> None:
    prober = StatvfsProber(HostPaths(tmp_path, tmp_path, tmp_path), timeout=1.0, statvfs=hung)
    healthy = FsStats(
        size_bytes=100 * 4096,
        free_bytes=40 * 4096,
        avail_bytes=30 * 4096,
        files=10,
        files_free=5,
        read_only=False,
    )

    first = prober.stat(["/", "/mnt/nfs"])
    assert first == {"/": healthy, "/mnt/nfs": MOUNT_TIMEOUT_ERROR}

    second = prober.stat(["/", "/mnt/nfs"])
    assert second["/mnt/nfs"] == MOUNT_TIMEOUT_ERROR
    assert hung.calls.count(hung.hung) == 1  # still parked on the first call: no second thread

    hung.release.set()
    for thread in [t for t in threading.enumerate() if t.name == "statvfs /mnt/nfs"]:
        thread.join()
    third = prober.stat(["/", "/mnt/nfs"])
    assert third["/mnt/nfs"] == healthy
    assert hung.calls.count(hung.hung) == 2


def test_hung_mount_does_not_hide_the_others_in_the_output(tmp_path: Path, hung: HungMount) -> None:
    (tmp_path / "proc/1").mkdir(parents=True)
    (tmp_path / "proc/1/mounts").write_text("/dev/sda1 / ext4 rw 0 0\nfiler:/vol /mnt/nfs nfs4 rw 0 0\n")
    paths = HostPaths(tmp_path / "proc", tmp_path, tmp_path)
    collector = FilesystemCollector(paths, StatvfsProber(paths, timeout=1.0, statvfs=hung), None, None)
    registry, _ = registry_for([collector])
    nfs = {
        "device": "filer:/vol",
        "mountpoint": "/mnt/nfs",
        "fstype": "nfs4",
        "device_error": MOUNT_TIMEOUT_ERROR,
    }
    root = {"device": "/dev/sda1", "mountpoint": "/", "fstype": "ext4", "device_error": ""}
    assert registry.get_sample_value("node_filesystem_device_error", nfs) == 1
    assert registry.get_sample_value("node_filesystem_avail_bytes", root) == 30 * 4096
