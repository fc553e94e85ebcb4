"""Golden exposition per fixture kernel, promtool's lint over it, and key values recomputed from the files.

LLMON_UPDATE_GOLDEN=1 rewrites tests/fixtures/node/<kernel>/expected.prom from the current output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
from node_fixtures import (
    FIXED_NOW,
    FIXTURE_NAMES,
    fixture_dir,
    fixture_sources,
    registry_for,
    render,
)
from prometheus_client.parser import text_string_to_metric_families

# Sources that are expected to fail on a fixture, and why: CentOS 7's 3.10 kernel predates PSI.
EXPECTED_FAILURES = {"linux-3.10-centos7": {"pressure": "unsupported"}}


def test_there_are_fixtures_for_at_least_three_kernels() -> None:
    assert len({name.split("-")[1] for name in FIXTURE_NAMES}) >= 3, FIXTURE_NAMES


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_output_matches_golden_file(name: str) -> None:
    root = fixture_dir(name)
    text, failures = render(fixture_sources(root))
    assert {source: error.reason for source, error in failures.items()} == EXPECTED_FAILURES.get(name, {})
    golden = root / "expected.prom"
    if os.environ.get("LLMON_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert golden.exists(), f"{golden} is missing: run with LLMON_UPDATE_GOLDEN=1 to create it"
    assert text == golden.read_text(), f"output differs from {golden}; LLMON_UPDATE_GOLDEN=1 rewrites it"


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_golden_file_passes_promtool_lint(name: str) -> None:
    """promtool check metrics, allowing only what node_exporter's own `make checkmetrics` allows.

    node_exporter keeps /proc/meminfo's field names (node_memory_MemAvailable_bytes) for compatibility,
    which promtool reports as camelCase; every other finding fails.
    """
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not on PATH")
    text = (fixture_dir(name) / "expected.prom").read_text()
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    findings = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    unexpected = [line for line in findings if not re.match(r"^node_memory_\w+ .*camelCase", line)]
    assert result.returncode in (0, 3), findings  # 3: lint findings only; anything else is a parse error
    assert unexpected == []


def _sample(name: str, metric: str, labels: dict[str, str] | None = None) -> float | None:
    registry, _ = registry_for(fixture_sources(fixture_dir(name)))
    return registry.get_sample_value(metric, labels or {})


def _proc(name: str, *parts: str) -> str:
    return fixture_dir(name).joinpath("proc", *parts).read_text()


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_cpu0_user_seconds_are_jiffies_over_user_hz(name: str) -> None:
    cpu0 = next(line.split() for line in _proc(name, "stat").splitlines() if line.startswith("cpu0 "))
    assert _sample(name, "node_cpu_seconds_total", {"cpu": "0", "mode": "user"}) == int(cpu0[1]) / 100
    assert _sample(name, "node_cpu_seconds_total", {"cpu": "0", "mode": "idle"}) == int(cpu0[4]) / 100


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_mem_available_is_kilobytes_times_1024(name: str) -> None:
    kilobytes = re.search(r"^MemAvailable:\s+(\d+) kB$", _proc(name, "meminfo"), re.MULTILINE)
    assert kilobytes, "every fixture kernel (3.10 included, RHEL backported it) has MemAvailable"
    assert _sample(name, "node_memory_MemAvailable_bytes") == int(kilobytes.group(1)) * 1024


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_meminfo_field_names_follow_node_exporter(name: str) -> None:
    assert _sample(name, "node_memory_Active_anon_bytes") is not None
    huge_pages = re.search(r"^HugePages_Total:\s+(\d+)$", _proc(name, "meminfo"), re.MULTILINE)
    assert huge_pages
    assert _sample(name, "node_memory_HugePages_Total") == int(huge_pages.group(1))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_filesystem_sizes_come_from_the_statvfs_file(name: str) -> None:
    entry = json.loads((fixture_dir(name) / "statvfs.json").read_text())["/"]
    mounts = _proc(name, "1", "mounts").splitlines()
    device, _, fstype = next(
        line.split()[:3] for line in mounts if line.split()[1] == "/" and line.split()[2] != "rootfs"
    )
    labels = {"device": device, "mountpoint": "/", "fstype": fstype, "device_error": ""}
    assert _sample(name, "node_filesystem_avail_bytes", labels) == entry["f_bavail"] * entry["f_frsize"]
    assert _sample(name, "node_filesystem_size_bytes", labels) == entry["f_blocks"] * entry["f_frsize"]
    assert _sample(name, "node_filesystem_files_free", labels) == entry["f_ffree"]
    assert _sample(name, "node_filesystem_device_error", labels) == 0


@pytest.mark.parametrize("name", [name for name in FIXTURE_NAMES if name not in EXPECTED_FAILURES])
def test_psi_totals_are_microseconds_over_a_million(name: str) -> None:
    def total(resource: str, line: str) -> int:
        found = re.search(rf"^{line} .*total=(\d+)$", _proc(name, "pressure", resource), re.MULTILINE)
        assert found
        return int(found.group(1))

    assert _sample(name, "node_pressure_cpu_waiting_seconds_total") == total("cpu", "some") / 1e6
    assert _sample(name, "node_pressure_io_stalled_seconds_total") == total("io", "full") / 1e6
    assert _sample(name, "node_pressure_memory_waiting_seconds_total") == total("memory", "some") / 1e6


def test_irq_pressure_only_where_the_kernel_has_it() -> None:
    irq = re.search(r"total=(\d+)", _proc("linux-6.8-gpu-server", "pressure", "irq"))
    assert irq
    assert (
        _sample("linux-6.8-gpu-server", "node_pressure_irq_stalled_seconds_total") == int(irq.group(1)) / 1e6
    )
    assert _sample("linux-5.4-ubuntu2004", "node_pressure_irq_stalled_seconds_total") is None


@pytest.mark.parametrize(
    ("name", "device", "has_discard", "has_flush"),
    [
        ("linux-3.10-centos7", "sda", False, False),  # 14 fields
        ("linux-5.4-ubuntu2004", "sda", True, False),  # 18 fields
        ("linux-6.8-gpu-server", "nvme1n1", True, True),  # 20 fields
    ],
)
def test_diskstats_columns_by_kernel(name: str, device: str, has_discard: bool, has_flush: bool) -> None:
    fields = next(line.split() for line in _proc(name, "diskstats").splitlines() if line.split()[2] == device)
    labels = {"device": device}
    assert _sample(name, "node_disk_read_bytes_total", labels) == int(fields[5]) * 512
    assert _sample(name, "node_disk_written_bytes_total", labels) == int(fields[9]) * 512
    assert _sample(name, "node_disk_io_time_seconds_total", labels) == int(fields[12]) / 1000
    discards = _sample(name, "node_disk_discards_completed_total", labels)
    flushes = _sample(name, "node_disk_flush_requests_total", labels)
    assert (discards is not None, flushes is not None) == (has_discard, has_flush)
    if has_flush:
        assert flushes == int(fields[18])


def test_partitions_and_loop_devices_are_not_reported() -> None:
    text = (fixture_dir("linux-6.8-gpu-server") / "expected.prom").read_text()
    devices = set(re.findall(r'^node_disk_reads_completed_total\{device="([^"]+)"\}', text, re.MULTILINE))
    assert devices == {"nvme0n1", "nvme1n1"}


def test_hwmon_chips_are_named_like_node_exporter() -> None:
    chips = {
        sample.labels["chip"]: sample.labels["chip_name"]
        for name in FIXTURE_NAMES
        for family in text_string_to_metric_families((fixture_dir(name) / "expected.prom").read_text())
        if family.name == "node_hwmon_chip_names"
        for sample in family.samples
    }
    assert chips == {
        "platform_coretemp_0": "coretemp",  # platform device without a class: <bus>_<device>
        "nvme_nvme0": "nvme",  # hwmon directly under a class device
        "nvme_nvme1": "nvme",
        "thermal_thermal_zone0": "acpitz",
        "pci0000:00_0000:00:18_3": "k10temp",  # dots become underscores, colons stay
        "platform_nct6775_656": "nct6779",
        "lnxsybus:00_acpi000d:00": "power_meter",
    }


def test_hwmon_temperatures_are_millidegrees_over_1000() -> None:
    root = fixture_dir("linux-6.8-gpu-server")
    raw = (root / "sys/devices/platform/coretemp.0/hwmon/hwmon3/temp1_input").read_text()
    labels = {"chip": "platform_coretemp_0", "sensor": "temp1"}
    assert _sample("linux-6.8-gpu-server", "node_hwmon_temp_celsius", labels) == int(raw) / 1000
    label = {"chip": "platform_coretemp_0", "sensor": "temp1", "label": "Package id 0"}
    assert _sample("linux-6.8-gpu-server", "node_hwmon_sensor_label", label) == 1


def test_hwmon_reads_the_device_directory_of_old_kernels() -> None:
    """On 3.10 the coretemp attributes sit on the platform device, not in hwmonN itself."""
    hwmon_dir = fixture_dir("linux-3.10-centos7") / "sys/class/hwmon/hwmon0"
    assert not (hwmon_dir / "temp1_input").exists()
    raw = (hwmon_dir / "device" / "temp1_input").read_text()
    labels = {"chip": "platform_coretemp_0", "sensor": "temp1"}
    assert _sample("linux-3.10-centos7", "node_hwmon_temp_celsius", labels) == int(raw) / 1000


def test_no_hwmon_directory_means_no_hwmon_series() -> None:
    assert not (fixture_dir("linux-6.18-vm") / "sys/class/hwmon").exists()
    text = (fixture_dir("linux-6.18-vm") / "expected.prom").read_text()
    assert "node_hwmon_" not in text


def test_time_comes_from_the_injected_clock() -> None:
    assert _sample("linux-6.18-vm", "node_time_seconds") == FIXED_NOW
    assert _sample("linux-6.18-vm", "node_time_zone_offset_seconds", {"time_zone": "CET"}) == 3600


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_identity_series(name: str) -> None:
    root = fixture_dir(name)
    kernel = root / "proc/sys/kernel"
    uname = {
        "sysname": (kernel / "ostype").read_text().strip(),
        "release": (kernel / "osrelease").read_text().strip(),
        "version": (kernel / "version").read_text().strip(),
        "nodename": (kernel / "hostname").read_text().strip(),
        "domainname": (kernel / "domainname").read_text().strip(),
        "machine": "x86_64",
    }
    assert _sample(name, "node_uname_info", uname) == 1
    os_release = next(
        path for path in (root / "rootfs/etc/os-release", root / "rootfs/usr/lib/os-release") if path.exists()
    )
    version_id = re.search(r'^VERSION_ID="?([^"\n]+)"?$', os_release.read_text(), re.MULTILINE)
    assert version_id
    registry, _ = registry_for(fixture_sources(root))
    versions = [s for f in registry.collect() if f.name == "node_os_version" for s in f.samples]
    assert [sample.value for sample in versions] == [float(version_id.group(1))]


def test_boot_time_and_counters_from_proc_stat() -> None:
    stat = dict(line.split(maxsplit=1) for line in _proc("linux-5.4-ubuntu2004", "stat").splitlines())
    assert _sample("linux-5.4-ubuntu2004", "node_boot_time_seconds") == int(stat["btime"])
    assert _sample("linux-5.4-ubuntu2004", "node_context_switches_total") == int(stat["ctxt"])
    assert _sample("linux-5.4-ubuntu2004", "node_intr_total") == int(stat["intr"].split()[0])
    assert _sample("linux-5.4-ubuntu2004", "node_procs_running") == int(stat["procs_running"])


def test_network_link_state_and_speed() -> None:
    name = "linux-5.4-ubuntu2004"
    assert _sample(name, "node_network_up", {"device": "enp1s0f0"}) == 1
    assert _sample(name, "node_network_up", {"device": "enp1s0f1"}) == 0
    assert _sample(name, "node_network_speed_bytes", {"device": "enp1s0f0"}) == 10_000 * 1_000_000 / 8
    # speed -1 on a link that is down means unknown: no series rather than a negative speed
    assert _sample(name, "node_network_speed_bytes", {"device": "enp1s0f1"}) is None
    dev = next(
        line for line in _proc(name, "net", "dev").splitlines() if line.strip().startswith("enp1s0f0:")
    )
    assert _sample(name, "node_network_receive_bytes_total", {"device": "enp1s0f0"}) == int(
        dev.split(":")[1].split()[0]
    )


def test_device_exclude_filters_apply_to_counters_and_link_state() -> None:
    root = fixture_dir("linux-6.8-gpu-server")
    registry, _ = registry_for(
        fixture_sources(
            root,
            collector_netdev_device_exclude="^(lo|veth.+)$",
            collector_diskstats_device_exclude="^nvme0",
        )
    )
    devices = {
        (family.name, sample.labels["device"])
        for family in registry.collect()
        if family.name in ("node_network_receive_bytes", "node_network_up", "node_disk_io_now")
        for sample in family.samples
    }
    assert {device for name, device in devices if name == "node_network_receive_bytes"} == {
        "eno1",
        "enp65s0f0",
        "docker0",
    }
    assert {device for name, device in devices if name == "node_network_up"} == {
        "eno1",
        "enp65s0f0",
        "docker0",
    }
    assert {device for name, device in devices if name == "node_disk_io_now"} == {
        "nvme1n1",
        "loop0",
        "loop1",
        "loop2",
    }
