"""Readers of procfs/sysfs formats: the variations between kernels that fixtures alone do not cover."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporters.node.sources.diskstats import parse_diskstats
from exporters.node.sources.files import HostPaths
from exporters.node.sources.filesystem import parse_mounts, read_mounts, strip_rootfs
from exporters.node.sources.hwmon import chip_label, read_hwmon
from exporters.node.sources.meminfo import parse_meminfo
from exporters.node.sources.netdev import parse_netdev
from exporters.node.sources.osrelease import parse_os_release
from exporters.node.sources.pressure import parse_pressure
from exporters.node.sources.stat import parse_cpu_times, parse_kernel_counters

PATH = Path("/proc/test")
NETDEV_HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|"
    "bytes    packets errs drop fifo colls carrier compressed\n"
)


def test_meminfo_names_and_units() -> None:
    fields = parse_meminfo("Active(anon):   1560 kB\nHugePages_Total:   4\nMemTotal: 2 kB\n", PATH)
    assert [(f.name, f.value, f.is_bytes) for f in fields] == [
        ("Active_anon", 1560 * 1024, True),
        ("HugePages_Total", 4, False),
        ("MemTotal", 2048, True),
    ]


def test_cpu_lines_of_old_kernels_have_fewer_columns() -> None:
    """2.6.24 has no guest_nice, 2.6.11 no steal: trailing modes are simply absent."""
    text = "cpu  1 2 3 4 5 6 7 8\ncpu0 100 200 300 400 500 600 700 800\n" + (
        "intr 9 0\nctxt 1\nbtime 2\nprocesses 3\nprocs_running 4\nprocs_blocked 5\n"
    )
    (cpu,) = parse_cpu_times(text, PATH)
    assert cpu.seconds == {
        "user": 1.0,
        "nice": 2.0,
        "system": 3.0,
        "idle": 4.0,
        "iowait": 5.0,
        "irq": 6.0,
        "softirq": 7.0,
        "steal": 8.0,
    }
    assert cpu.guest_seconds == {}
    counters = parse_kernel_counters(text, PATH)
    assert (counters.interrupts, counters.boot_time_seconds, counters.procs_blocked) == (9, 2, 5)


def test_guest_columns_become_guest_modes() -> None:
    text = "cpu3 1 2 3 4 5 6 7 8 900 50\n"
    (cpu,) = parse_cpu_times(text, PATH)
    assert cpu.cpu == "3"
    assert cpu.guest_seconds == {"user": 9.0, "nice": 0.5}
    assert "guest" not in cpu.seconds


@pytest.mark.parametrize(
    ("counters", "discards", "flushes"),
    [(11, False, False), (15, True, False), (17, True, True)],
)
def test_diskstats_field_counts(counters: int, discards: bool, flushes: bool) -> None:
    values = " ".join(str(n * 10) for n in range(1, counters + 1))
    (disk,) = parse_diskstats(f"   8       0 sda {values}\n", PATH)
    assert disk.read_bytes == 30 * 512
    assert disk.read_time_seconds == 40 / 1000
    assert disk.io_now == 90
    assert (disk.discards is not None, disk.flushes is not None) == (discards, flushes)
    if flushes:
        assert disk.flushes is not None
        assert (disk.flushes.completed, disk.flushes.time_seconds) == (160, 170 / 1000)


def test_netdev_counter_touching_the_colon() -> None:
    """Old kernels print `eth0:1234567890` with no blank when the counter is wide."""
    line = "  eth0:4294967296 10 0 0 0 0 0 3 77 11 0 0 0 0 0 0\n"
    (device,) = parse_netdev(NETDEV_HEADER + line, PATH)
    assert device.device == "eth0"
    assert device.receive["bytes"] == 4294967296
    assert device.receive["multicast"] == 3
    assert device.transmit == {
        "bytes": 77,
        "packets": 11,
        "errs": 0,
        "drop": 0,
        "fifo": 0,
        "colls": 0,
        "carrier": 0,
        "compressed": 0,
    }


def test_pressure_lines() -> None:
    cpu = parse_pressure("cpu", "some avg10=0.00 avg60=0.00 avg300=0.00 total=2500000\n", PATH)
    assert (cpu.some_seconds, cpu.full_seconds) == (2.5, None)
    irq = parse_pressure("irq", "full avg10=0.00 avg60=0.00 avg300=0.00 total=8494\n", PATH)
    assert (irq.some_seconds, irq.full_seconds) == (None, 0.008494)


def test_mount_fields_are_unescaped() -> None:
    (mount,) = parse_mounts("server:/a\\040b /mnt/with\\040blank\\011tab nfs ro,relatime 0 0\n", PATH)
    assert (mount.device, mount.mountpoint, mount.read_only) == ("server:/a b", "/mnt/with blank\ttab", True)


@pytest.mark.parametrize(
    ("mountpoint", "rootfs", "expected"),
    [
        ("/host/data", "/host", "/data"),
        ("/host", "/host", "/"),
        ("/hostile", "/host", "/hostile"),
        ("/data", "/", "/data"),
    ],
)
def test_rootfs_prefix_is_stripped_from_our_own_mount_view(
    mountpoint: str, rootfs: str, expected: str
) -> None:
    assert strip_rootfs(mountpoint, Path(rootfs)) == expected


def test_mounts_fall_back_to_proc_mounts_without_pid_1(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "mounts").write_text("/dev/sda1 /host/srv ext4 rw 0 0\n")
    paths = HostPaths(tmp_path / "proc", tmp_path / "sys", Path("/host"))
    (mount,) = read_mounts(paths)
    assert mount.mountpoint == "/srv"


def test_os_release_quoting() -> None:
    release = parse_os_release(
        "NAME=\"Fedora Linux\"\nVERSION_ID=40\nPRETTY_NAME='Fedora Linux 40 (Server Edition)'\n"
        '# comment\nVARIANT="Server \\"Edition\\""\nBROKEN="unbalanced\n'
    )
    assert release.get("NAME") == "Fedora Linux"
    assert release.get("PRETTY_NAME") == "Fedora Linux 40 (Server Edition)"
    assert release.get("VARIANT") == 'Server "Edition"'
    assert release.get("BROKEN") == "unbalanced"
    assert release.major_minor == 40.0


@pytest.mark.parametrize(
    ("version_id", "expected"), [("22.04", 22.04), ("7", 7.0), ("rolling", None), ("", None)]
)
def test_os_version_number(version_id: str, expected: float | None) -> None:
    assert parse_os_release(f"VERSION_ID={version_id}\n").major_minor == expected


def test_hwmon_chip_label_without_device_link_uses_name(tmp_path: Path) -> None:
    chip = tmp_path / "hwmon7"
    chip.mkdir()
    (chip / "name").write_text("Virtual Sensor\n")
    assert chip_label(chip) == "virtual_sensor"


def test_hwmon_skips_readings_the_kernel_refuses(tmp_path: Path) -> None:
    chip = tmp_path / "sys" / "class" / "hwmon" / "hwmon0"
    chip.mkdir(parents=True)
    (chip / "name").write_text("nct6775\n")
    (chip / "fan1_input").write_text("1200\n")
    (chip / "fan2_input").mkdir()  # reading it fails like an unplugged fan header's EIO
    (chip / "fan3_input").write_text("garbage\n")
    (chip_data,) = read_hwmon(HostPaths(tmp_path / "proc", tmp_path / "sys", tmp_path))
    assert [(sensor.sensor, sensor.values) for sensor in chip_data.sensors] == [("fan1", {"input": 1200.0})]
