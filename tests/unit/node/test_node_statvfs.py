"""statvfs calls of one scrape share a thread, yet a hung mount holds up no other mount's answer."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from exporters.node.sources import filesystem
from exporters.node.sources.files import HostPaths
from exporters.node.sources.filesystem import MOUNT_TIMEOUT_ERROR, FsStats, StatvfsProber

HEALTHY = FsStats(
    size_bytes=100 * 4096,
    free_bytes=40 * 4096,
    avail_bytes=30 * 4096,
    files=10,
    files_free=5,
    read_only=False,
)


class Statvfs:
    """statvfs() stand-in recording which thread asked; the mount points in `hung` block until released."""

    def __init__(self, root: Path, hung: tuple[str, ...] = ()) -> None:
        self.root = root
        self.hung = {root / mountpoint.lstrip("/") for mountpoint in hung}
        self.release = threading.Event()
        self.threads: dict[Path, int] = {}

    def __call__(self, path: Path) -> os.statvfs_result:
        self.threads[path] = threading.get_ident()
        if path in self.hung:
            self.release.wait()
        return os.statvfs_result((4096, 4096, 100, 40, 30, 10, 5, 5, 0, 255))


@pytest.fixture
def released() -> Iterator[list[Statvfs]]:
    """Fakes to release after the test, so no parked thread outlives it."""
    fakes: list[Statvfs] = []
    yield fakes
    for fake in fakes:
        fake.release.set()


def test_the_calls_of_one_scrape_share_one_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filesystem, "SERIAL_SECONDS", 10.0)  # no hand-over, however slow this machine is
    statvfs = Statvfs(tmp_path)
    prober = StatvfsProber(HostPaths(tmp_path, tmp_path, tmp_path), timeout=10.0, statvfs=statvfs)
    mountpoints = ["/", "/home", "/var", "/srv", "/boot"]
    assert prober.stat(mountpoints) == dict.fromkeys(mountpoints, HEALTHY)
    assert len(statvfs.threads) == len(mountpoints)
    assert len(set(statvfs.threads.values())) == 1
    assert threading.get_ident() not in statvfs.threads.values()  # never in the scrape's own thread


def test_a_hung_mount_first_in_line_does_not_hold_up_those_behind_it(
    tmp_path: Path, released: list[Statvfs]
) -> None:
    statvfs = Statvfs(tmp_path, hung=("/mnt/hung-first",))
    released.append(statvfs)
    prober = StatvfsProber(HostPaths(tmp_path, tmp_path, tmp_path), timeout=1.0, statvfs=statvfs)
    first = prober.stat(["/mnt/hung-first", "/", "/home"])
    assert first == {"/mnt/hung-first": MOUNT_TIMEOUT_ERROR, "/": HEALTHY, "/home": HEALTHY}
    assert (
        statvfs.threads[tmp_path / "mnt/hung-first"] != statvfs.threads[tmp_path]
    )  # handed to other threads

    second = prober.stat(["/mnt/hung-first", "/", "/home"])
    assert second == first
    parked = [thread for thread in threading.enumerate() if thread.name == "statvfs /mnt/hung-first"]
    assert len(parked) == 1  # the hung call, not asked again

    statvfs.release.set()
    parked[0].join()
    assert prober.stat(["/mnt/hung-first"]) == {"/mnt/hung-first": HEALTHY}
