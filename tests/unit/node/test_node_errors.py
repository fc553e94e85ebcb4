"""A broken or missing file fails only its own collector, with the right reason and the file's name."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from node_fixtures import collect_error, fixture_dir, fixture_sources, registry_for, render, source_named

FIXTURE = "linux-6.8-gpu-server"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A writable copy of a fixture tree (symlinks kept) to break files in."""
    copy = tmp_path / FIXTURE
    shutil.copytree(fixture_dir(FIXTURE), copy, symlinks=True)
    return copy


def _break(path: Path, content: str | None) -> None:
    """Replace a file with other content, or with a directory (which no read can succeed on) if None."""
    path.unlink()
    if content is None:
        path.mkdir()
    else:
        path.write_text(content)


@pytest.mark.parametrize(
    ("collector", "relative", "content", "reason"),
    [
        ("meminfo", "proc/meminfo", "MemTotal: lots kB\n", "malformed"),
        ("meminfo", "proc/meminfo", "", "malformed"),
        ("meminfo", "proc/meminfo", None, "io"),
        (
            "cpu",
            "proc/stat",
            "cpu0 1 2 3 x\nintr 1\nctxt 1\nbtime 1\nprocesses 1\nprocs_running 1\nprocs_blocked 1\n",
            "malformed",
        ),
        ("stat", "proc/stat", "cpu0 1 2 3 4\nctxt 1\n", "malformed"),
        ("loadavg", "proc/loadavg", "0.1 nan?\n", "malformed"),
        ("loadavg", "proc/loadavg", None, "io"),
        ("diskstats", "proc/diskstats", "   8 0 sda 1 2 3\n", "malformed"),
        ("netdev", "proc/net/dev", "eth0: 1 2 3\n", "malformed"),
        ("pressure", "proc/pressure/io", "some avg10=0.00\n", "malformed"),
        ("pressure", "proc/pressure/memory", None, "io"),
        ("filesystem", "statvfs.json", '{"/": {"f_frsize": 4096', "malformed"),
        ("filesystem", "statvfs.json", '{"/": {"f_frsize": "4096"}}', "malformed"),
        ("filesystem", "proc/1/mounts", "/dev/sda1 /\n", "malformed"),
        ("uname", "proc/sys/kernel/hostname", None, "io"),
    ],
)
def test_bad_file_fails_its_collector_only(
    tree: Path, collector: str, relative: str, content: str | None, reason: str
) -> None:
    _break(tree / relative, content)
    sources = fixture_sources(tree)
    error = collect_error(source_named(sources, collector))
    assert error.reason == reason
    assert str(tree / relative) in error.message
    assert "\n" not in error.message
    _, failures = render(sources)
    assert set(failures) == {collector}


def test_missing_file_says_it_does_not_exist(tree: Path) -> None:
    (tree / "proc/loadavg").unlink()
    error = collect_error(source_named(fixture_sources(tree), "loadavg"))
    assert (error.reason, error.message) == ("io", f"{tree / 'proc/loadavg'} does not exist.")


def test_statvfs_file_with_a_wrong_type_names_the_key(tree: Path) -> None:
    _break(
        tree / "statvfs.json",
        '{"/data": {"f_frsize": 4096, "f_blocks": -1, "f_bfree": 0, "f_bavail": 0,'
        ' "f_files": 0, "f_ffree": 0}}',
    )
    error = collect_error(source_named(fixture_sources(tree), "filesystem"))
    assert error.reason == "malformed"
    assert "/data.f_blocks" in error.message


def test_kernel_without_psi_is_unsupported(tree: Path) -> None:
    shutil.rmtree(tree / "proc/pressure")
    error = collect_error(source_named(fixture_sources(tree), "pressure"))
    assert error.reason == "unsupported"
    assert str(tree / "proc/pressure") in error.message



def test_psi_disabled_at_boot_is_unsupported(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With psi=0 the files exist but every read fails with EOPNOTSUPP (no file can fake that)."""
    refused = tree / "proc/pressure/cpu"
    read_text = Path.read_text

    def refuse_psi(path: Path, *args: Any, **kwargs: Any) -> str:
        if path == refused:
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", refuse_psi)
    error = collect_error(source_named(fixture_sources(tree), "pressure"))
    assert error.reason == "unsupported"
    assert error.message == f"{refused} refuses reads: PSI is disabled (psi=0)."


def test_missing_optional_psi_file_is_skipped(tree: Path) -> None:
    (tree / "proc/pressure/irq").unlink()
    registry, collector = registry_for(fixture_sources(tree, collector_pressure=True))
    assert registry.get_sample_value("node_pressure_irq_stalled_seconds_total") is None
    assert registry.get_sample_value("node_pressure_cpu_waiting_seconds_total") is not None
    assert collector.failures == {}


def test_missing_os_release_names_both_places(tree: Path) -> None:
    (tree / "rootfs/etc/os-release").unlink()
    error = collect_error(source_named(fixture_sources(tree), "os"))
    assert error.reason == "io"
    assert "etc/os-release" in error.message
    assert "usr/lib/os-release" in error.message


def test_missing_mount_tables(tree: Path) -> None:
    (tree / "proc/1/mounts").unlink()
    error = collect_error(source_named(fixture_sources(tree), "filesystem"))
    assert error.reason == "io"
    assert str(tree / "proc/mounts") in error.message


def test_other_collectors_keep_their_values(tree: Path) -> None:
    _break(tree / "proc/meminfo", "garbage without a colon\n")
    registry, collector = registry_for(fixture_sources(tree))
    assert registry.get_sample_value("node_memory_MemAvailable_bytes") is None
    assert registry.get_sample_value("node_load1") == float((tree / "proc/loadavg").read_text().split()[0])
    assert set(collector.failures) == {"meminfo"}
