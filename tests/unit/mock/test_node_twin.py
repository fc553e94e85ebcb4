"""The node twin's tree: kernel file formats, the statvfs seam, and the running twin process."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mock.cli import run
from mock.db import SeedSnapshot
from mock.engine import HostState, host_state
from mock.scenario import Scenario
from mock.seed.generate import build_seed
from mock.twins.node import compute_tick, tree_files, write_tree

BOOT_TIME = 1_790_000_000
STATVFS_KEYS = {"f_frsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree", "readonly"}
PRESSURE_LINE = re.compile(r"^(some|full) avg10=\d+\.\d\d avg60=\d+\.\d\d avg300=\d+\.\d\d total=\d+$")
MEMINFO_LINE = re.compile(r"^([A-Za-z0-9_()]+):\s+(\d+)( kB)?$")
WAIT_S = 30.0
NODE_EXPORTER_COLLECTORS = (
    "cpu", "meminfo", "loadavg", "pressure", "diskstats", "netdev", "netclass", "stat", "hwmon", "os",
)  # fmt: skip


# --- one tree, written once ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def state(scenarios: dict[str, Scenario], snapshot: SeedSnapshot) -> HostState:
    history = [(scenarios["normal"], 321.0)]
    return host_state(scenarios["peak-load"], snapshot, snapshot.hosts[0].id, 250.5, history)


@pytest.fixture(scope="module")
def tree(state: HostState, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("node")
    write_tree(root, state, BOOT_TIME)
    return root


def _read(tree: Path, relative: str) -> str:
    return (tree / relative).read_text()


def _ints(fields: list[str]) -> list[int]:
    return [int(f) for f in fields]


def test_proc_stat_has_kernel_columns_and_matching_totals(tree: Path, state: HostState) -> None:
    lines = _read(tree, "proc/stat").splitlines()
    assert lines[0].startswith("cpu  ")
    total = _ints(lines[0].split()[1:])
    per_cpu = [line.split() for line in lines[1 : 1 + len(state.cpus)]]
    assert len(total) == 10 and all(len(row) == 11 for row in per_cpu)
    assert [row[0] for row in per_cpu] == [f"cpu{i}" for i in range(len(state.cpus))]
    assert total == [sum(col) for col in zip(*(_ints(row[1:]) for row in per_cpu), strict=True)]
    assert int(per_cpu[0][1]) == int(state.cpus[0].user * 100)  # USER_HZ jiffies
    rest = {line.split()[0]: line.split()[1:] for line in lines[1 + len(state.cpus) :]}
    assert list(rest) == ["intr", "ctxt", "btime", "processes", "procs_running", "procs_blocked", "softirq"]
    assert len(rest["intr"]) == 1 + state.host.nr_irqs
    assert int(rest["btime"][0]) == BOOT_TIME
    assert int(rest["ctxt"][0]) == int(state.kernel["context_switches"])
    softirq = _ints(rest["softirq"])
    assert len(softirq) == 11 and softirq[0] == sum(softirq[1:])


def test_meminfo_lines_have_the_kernel_layout(tree: Path, state: HostState) -> None:
    lines = _read(tree, "proc/meminfo").splitlines()
    parsed = {}
    for line in lines:
        match = MEMINFO_LINE.match(line)
        assert match, line
        parsed[match[1]] = int(match[2])
        if match[3] and parsed[match[1]] < 10**8:
            assert line.index(" kB") == 24, line  # "%-16s%8lu kB"
    assert [line.split(":")[0] for line in lines[:3]] == ["MemTotal", "MemFree", "MemAvailable"]
    assert parsed["MemTotal"] == state.host.mem_total_kb
    assert parsed["MemAvailable"] == state.memory_kb["MemAvailable"]
    assert parsed["MemFree"] <= parsed["MemAvailable"] <= parsed["MemTotal"]


@pytest.mark.skipif(not Path("/proc/meminfo").is_file(), reason="needs a Linux /proc to compare against")
def test_meminfo_field_order_agrees_with_this_machines_kernel(tree: Path) -> None:
    real = [line.split(":")[0] for line in Path("/proc/meminfo").read_text().splitlines()]
    ours = [line.split(":")[0] for line in _read(tree, "proc/meminfo").splitlines()]
    common = [field for field in real if field in ours]
    assert len(common) > 30
    assert [field for field in ours if field in common] == common


def test_pressure_files_parse(tree: Path, state: HostState) -> None:
    for resource, kinds in (("cpu", ["some", "full"]), ("memory", ["some", "full"]), ("io", ["some", "full"]),
                            ("irq", ["full"])):  # fmt: skip
        lines = _read(tree, f"proc/pressure/{resource}").splitlines()
        assert [line.split()[0] for line in lines] == kinds
        assert all(PRESSURE_LINE.match(line) for line in lines), lines
    cpu_some = _read(tree, "proc/pressure/cpu").splitlines()[0]
    assert f"total={state.pressure['cpu']['some'].total_us}" in cpu_some


def test_loadavg_parses(tree: Path, state: HostState) -> None:
    text = _read(tree, "proc/loadavg")
    assert re.fullmatch(r"\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+\n", text)
    assert float(text.split()[0]) == pytest.approx(state.load[0], abs=0.01)


def test_diskstats_have_20_fields(tree: Path, state: HostState) -> None:
    lines = _read(tree, "proc/diskstats").splitlines()
    assert len(lines) == len(state.disks)
    for line, disk in zip(lines, state.disks, strict=True):
        fields = line.split()
        assert len(fields) == 20
        assert fields[2] == disk.seed.name
        _ints(fields[:2] + fields[3:])
        assert line.startswith(f"{disk.seed.major:4d} {disk.seed.minor:7d} ")
        assert int(fields[9]) == int(disk.counters["sectors_written"])


def test_net_dev_matches_the_kernel_header_and_columns(tree: Path, state: HostState) -> None:
    lines = _read(tree, "proc/net/dev").splitlines()
    if Path("/proc/net/dev").is_file():
        assert lines[:2] == Path("/proc/net/dev").read_text().splitlines()[:2]
    for line, nic in zip(lines[2:], state.nics, strict=True):
        name, counters = line.split(":", 1)
        assert name.strip() == nic.seed.name
        values = _ints(counters.split())
        assert len(values) == 16
        assert values[0] == int(nic.counters["rx_bytes"])


def test_cpuinfo_has_one_block_per_cpu(tree: Path, state: HostState) -> None:
    blocks = _read(tree, "proc/cpuinfo").strip("\n").split("\n\n")
    assert len(blocks) == len(state.cpus)
    first = dict(line.split("\t", 1) for line in blocks[0].splitlines() if "\t" in line)
    assert first["processor"].lstrip("\t: ") == "0"
    assert first["model name"].lstrip("\t: ") == state.host.cpu_model_name


def test_mounts_and_statvfs_describe_the_same_filesystems(tree: Path, state: HostState) -> None:
    mounts = _read(tree, "proc/1/mounts")
    assert mounts == _read(tree, "proc/mounts")
    mountpoints = []
    for line in mounts.splitlines():
        fields = line.split()
        assert len(fields) == 6 and fields[4:] == ["0", "0"], line
        mountpoints.append(fields[1])
    statvfs = json.loads(_read(tree, "statvfs.json"))
    assert list(statvfs) == mountpoints
    for mountpoint, entry in statvfs.items():
        assert set(entry) == STATVFS_KEYS, mountpoint
        assert isinstance(entry["readonly"], bool)
        assert 0 <= entry["f_bavail"] <= entry["f_bfree"] <= entry["f_blocks"], mountpoint
        assert 0 <= entry["f_ffree"] <= entry["f_files"], mountpoint
    data = next(fs for fs in state.filesystems if fs.seed.mountpoint == "/data")
    assert statvfs["/data"]["f_bavail"] == data.blocks_avail


def test_hwmon_chips_have_readings_and_devices(tree: Path, state: HostState) -> None:
    chips = sorted((tree / "sys/class/hwmon").iterdir())
    assert len(chips) == len({r.seed.chip for r in state.sensors})
    for chip in chips:
        assert (chip / "name").read_text().strip() in {"coretemp", "k10temp", "nvme"}
        inputs = list(chip.glob("temp*_input"))
        assert inputs and all(re.fullmatch(r"-?\d+\n", p.read_text()) for p in inputs)
        device = (chip / "device").resolve()
        assert device.is_dir() and device.is_relative_to((tree / "sys/devices").resolve())


def test_net_class_and_identity_files(tree: Path, state: HostState) -> None:
    for nic in state.nics:
        base = tree / "sys/class/net" / nic.seed.name
        assert (base / "operstate").read_text() == f"{nic.seed.operstate}\n"
        assert int((base / "mtu").read_text()) == nic.seed.mtu
        assert (base / "speed").exists() == (nic.seed.speed_mbps is not None)
    assert _read(tree, "proc/sys/kernel/ostype") == "Linux\n"
    assert _read(tree, "proc/sys/kernel/hostname") == f"{state.host.hostname}\n"
    assert re.match(r"\d+\.\d+\.\d+", _read(tree, "proc/sys/kernel/osrelease"))
    assert re.search(r"^ID=\w+$", _read(tree, "rootfs/etc/os-release"), re.MULTILINE)


def test_no_temporary_files_are_left_behind(tree: Path) -> None:
    assert not [p for p in tree.rglob("*") if ".llmon-tmp" in p.name]


# --- the real node_exporter as the judge of the formats --------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("prometheus-node-exporter") is None, reason="needs prometheus-node-exporter")
def test_the_real_node_exporter_reads_the_tree(tree: Path, state: HostState) -> None:
    port = _free_port()
    collectors = NODE_EXPORTER_COLLECTORS
    argv = [
        "prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{port}", f"--path.procfs={tree}/proc",
        f"--path.sysfs={tree}/sys", f"--path.rootfs={tree}/rootfs", "--collector.disable-defaults",
        "--no-collector.netdev.netlink", *(f"--collector.{c}" for c in collectors),
    ]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/metrics"

        def ready() -> bool:
            try:
                return httpx.get(url, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for(ready, "node_exporter /metrics")
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(httpx.get(url, timeout=10).text)
            for s in family.samples
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    for collector in collectors:
        assert value("node_scrape_collector_success", collector=collector) == 1.0, collector
    assert value("node_memory_MemAvailable_bytes") == state.memory_kb["MemAvailable"] * 1024
    assert value("node_cpu_seconds_total", cpu="0", mode="user") == pytest.approx(
        int(state.cpus[0].user * 100) / 100
    )
    assert value("node_boot_time_seconds") == BOOT_TIME
    assert value("node_pressure_cpu_waiting_seconds_total") == pytest.approx(
        state.pressure["cpu"]["some"].total_us / 1e6
    )
    data_disk = next(d for d in state.disks if d.seed.name == "nvme1n1")
    written = int(data_disk.counters["sectors_written"]) * 512
    assert value("node_disk_written_bytes_total", device="nvme1n1") == written
    assert value("node_load1") == pytest.approx(state.load[0], abs=0.01)
    assert value("node_network_up", device="eno1") == 1.0
    package = next(r for r in state.sensors if r.seed.label == "Package id 0")
    package_temp = value("node_hwmon_temp_celsius", chip="platform_coretemp_0", sensor="temp1")
    assert package_temp == round(package.celsius)  # coretemp reports whole degrees


# --- the running twin -------------------------------------------------------------------------------


class Twin:
    """``llmon-mock twin node`` as a child process with its log in a file."""

    def __init__(self, db: Path, root: Path, log: Path, interval: float = 0.2) -> None:
        self.root = root
        self.log = log
        self._log_file = log.open("w")
        code = "from mock.cli import main; main()"
        argv = [sys.executable, "-c", code, "twin", "node", "--db", str(db), "--root", str(root),
                "--interval", str(interval)]  # fmt: skip
        self.proc = subprocess.Popen(argv, stdout=self._log_file, stderr=subprocess.STDOUT)

    def log_text(self) -> str:
        return self.log.read_text()

    def wait_log(self, needle: str) -> None:
        _wait_for(lambda: needle in self.log_text() or self.proc.poll() is not None, f"log line {needle!r}")
        assert needle in self.log_text(), self.log_text()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=15)
        self._log_file.close()
        return code


@pytest.fixture
def twin(db_path: Path, tmp_path: Path) -> Iterator[Twin]:
    running = Twin(db_path, tmp_path / "node", tmp_path / "twin.log")
    try:
        running.wait_log("node twin started")
        yield running
    finally:
        running.stop()


def test_a_running_twin_picks_up_a_scenario_switch(
    twin: Twin, db_path: Path, scenarios: dict[str, Scenario], capsys: pytest.CaptureFixture[str]
) -> None:
    # Freeze the clock so the tree the twin must write is exactly computable here.
    assert run(["clock", "pause", "--db", str(db_path)]) == 0
    assert run(["scenario", "set", "disk-full", "--db", str(db_path)]) == 0
    assert run(["clock", "jump", "120", "--db", str(db_path)]) == 0
    capsys.readouterr()
    twin.wait_log('msg="scenario switched" from=normal to=disk-full generation=1')

    expected = compute_tick(db_path, scenarios, None, time.time())
    assert expected.state.scenario == "disk-full" and expected.state.t == 120.0
    files = tree_files(expected.state, expected.boot_time)

    def written() -> bool:
        return all((twin.root / p).read_text() == content for p, content in files.items())

    _wait_for(written, "the twin to write disk-full at t=120")
    data = json.loads((twin.root / "statvfs.json").read_text())["/data"]
    assert data["f_bavail"] / data["f_blocks"] < 0.05


def test_readers_never_see_a_partial_file(twin: Twin) -> None:
    stat = twin.root / "proc/stat"
    for _ in range(300):
        lines = stat.read_text().splitlines()
        assert lines[0].startswith("cpu  ") and lines[-1].startswith("softirq ")
        json.loads((twin.root / "statvfs.json").read_text())


def test_a_vanished_database_is_logged_once_and_survived(twin: Twin, db_path: Path) -> None:
    moved = db_path.with_suffix(".away")
    db_path.rename(moved)
    twin.wait_log("cannot update the node tree")
    assert twin.proc.poll() is None
    assert (twin.root / "proc/stat").is_file()  # the last good tree stays
    time.sleep(0.5)  # several ticks fail; the error is still logged only once
    assert twin.log_text().count("cannot update the node tree") == 1
    moved.rename(db_path)
    twin.wait_log("node tree updating again")


def test_sigterm_stops_the_twin_cleanly(twin: Twin) -> None:
    assert twin.stop() == 0
    assert 'msg="node twin stopped"' in twin.log_text()


def test_startup_without_a_database_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.db"
    assert run(["twin", "node", "--db", str(missing), "--root", str(tmp_path / "node")]) == 2
    hint = f"create it with: llmon-mock seed --out {missing}"
    assert capsys.readouterr().err == f"llmon-mock: error: database '{missing}' not found ({hint})\n"
    assert not (tmp_path / "node").exists()


def test_an_unknown_host_is_one_line_exit_2(db_path: Path, tmp_path: Path, snapshot: SeedSnapshot,
                                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    assert run(["twin", "node", "--db", str(db_path), "--root", str(tmp_path / "n"), "--host", "nope"]) == 2
    known = ", ".join(sorted(h.hostname for h in snapshot.hosts))
    assert capsys.readouterr().err == f"llmon-mock: error: unknown host 'nope' (known: {known})\n"


def test_a_reseeded_database_is_picked_up_without_a_restart(twin: Twin, db_path: Path) -> None:
    before = (twin.root / "proc/sys/kernel/hostname").read_text()
    build_seed(43, db_path)  # atomically replaces the file the twin reads
    hostname = twin.root / "proc/sys/kernel/hostname"
    _wait_for(lambda: hostname.read_text() != before, "the new seed's hostname")
    assert os.path.getsize(twin.root / "proc/stat") > 0
