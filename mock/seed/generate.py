"""Build the mock seed database: a deterministic SQLite file from one integer seed.

Determinism is the point: the same seed must produce a byte-identical file, so
- all randomness comes from one ``numpy.random.Generator`` and one ``Faker`` instance seeded here
  (never the global RNGs), consumed in a fixed order;
- nothing reads the wall clock: seeded times are offsets from when the mock clock first starts;
- the page size is fixed, rows are inserted in a fixed order, and the file is VACUUMed at the end;
- the file is built under a temporary name next to the target and renamed over it, so a reader never
  sees a half-written database.

This issue fills the host tables (and the GPU SKU reference table, which is static fact); the tables
of the other upstreams are created empty for the twins that come next.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import tempfile
from pathlib import Path

import numpy as np
from faker import Faker

from mock.db import SCHEMA_VERSION
from mock.errors import MockError
from mock.scenario import DEFAULT_SCENARIO
from mock.seed.containers import fill_containers
from mock.seed.gpus import fill_gpus
from mock.seed.hardware import CPU_MODELS, DRIVES, GPU_MODELS, HOST_CLASSES, OS_PROFILES, CpuModel, HostClass
from mock.seed.langfuse import fill_langfuse
from mock.seed.litellm import fill_litellm
from mock.seed.vllm import fill_vllm

SCHEMA_PATH = Path(__file__).with_name("schema.sql")
PAGE_SIZE = 4096
BLOCK_SIZE = 4096
KIB = 1024
GIB = 1024**3
NVME_MAJOR = 259
EFI_PARTITION_BYTES = 1_127_219_200
MODEL_FILE_BYTES = 48 * 1024**2  # average file on /data: model shards and checkpoints


class SeedOutputError(MockError):
    """The --out path cannot be written."""


class SeedRows:
    """Rows per table in insertion order (insertion order is part of the byte-identical contract)."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, object]]] = {}

    def add(self, table: str, **row: object) -> None:
        self.tables.setdefault(table, []).append(row)


def _uniform(rng: np.random.Generator, low: float, high: float, digits: int) -> float:
    return round(float(rng.uniform(low, high)), digits)


def _mac(oui: str, rng: np.random.Generator) -> str:
    return oui + "".join(f":{int(b):02x}" for b in rng.integers(0, 256, size=3))


# --- one host ------------------------------------------------------------------------------------


def _cpu_rows(rows: SeedRows, host_id: int, cpu: CpuModel, sockets: int) -> int:
    """Logical CPUs as Linux numbers them: first thread of every core, then the siblings."""
    cores = cpu.cores_per_socket * sockets
    for logical in range(cores * cpu.threads_per_core):
        thread, core = divmod(logical, cores)
        socket, core_id = divmod(core, cpu.cores_per_socket)
        apicid = (socket << 7) | (core_id << 1) | thread
        rows.add("cpus", host_id=host_id, cpu=logical, physical_id=socket, core_id=core_id, apicid=apicid)
    return cores * cpu.threads_per_core


def _disk_rows(rows: SeedRows, host_id: int, cls: HostClass, rng: np.random.Generator, fake: Faker) -> None:
    """An OS drive (EFI + root partitions) and a data drive; partitions share their drive's timing."""
    os_drive, data_drive = DRIVES[cls.os_drive], DRIVES[cls.data_drive]
    os_share = _uniform(rng, 0.08, 0.16, 3)
    drives = [
        ("nvme0n1", os_drive, os_share, fake.bothify("S6??NE0T######").upper()),
        ("nvme1n1", data_drive, round(1.0 - os_share, 3), fake.bothify("S6??NA0W######").upper()),
    ]
    minor = 0
    for name, drive, share, serial in drives:
        latency, merge_ratio = _uniform(rng, 0.06, 0.14, 4), _uniform(rng, 0.01, 0.08, 4)
        devices = [(name, None, drive.size_bytes, share)]
        if name == "nvme0n1":
            root_bytes = drive.size_bytes - EFI_PARTITION_BYTES - 2 * 1024**2
            devices += [
                (f"{name}p1", name, EFI_PARTITION_BYTES, 0.001),
                (f"{name}p2", name, root_bytes, 0.999),
            ]
        for device, parent, size, io_share in devices:
            rows.add(
                "disks", host_id=host_id, name=device, major=NVME_MAJOR, minor=minor, parent=parent,
                model=drive.model, serial=serial, size_bytes=size, rotational=0, io_share=io_share,
                latency_ms=latency, merge_ratio=merge_ratio,
            )  # fmt: skip
            minor += 1


def _nic_rows(rows: SeedRows, host_id: int, cls: HostClass, rng: np.random.Generator) -> None:
    """Loopback, a 1 GbE management port, the fast uplink and the Docker bridge."""
    uplink_share = _uniform(rng, 0.96, 0.99, 3)
    pci_bus = int(rng.choice([0x19, 0x41, 0x61, 0x9A, 0xC1]))
    nics = [
        {"name": "lo", "kind": "loopback", "mac": "00:00:00:00:00:00", "mtu": 65536, "speed_mbps": None,
         "operstate": "unknown", "rx_share": 0.0, "tx_share": 0.0, "rx_packet_bytes": 860.0,
         "tx_packet_bytes": 860.0, "base_rate_bytes": _uniform(rng, 1.0e6, 3.0e6, 0)},
        {"name": "eno1", "kind": "ether", "mac": _mac("3c:ec:ef", rng), "mtu": 1500, "speed_mbps": 1000,
         "operstate": "up", "rx_share": round(1 - uplink_share, 3), "tx_share": round(1 - uplink_share, 3),
         "rx_packet_bytes": 420.0, "tx_packet_bytes": 380.0, "base_rate_bytes": 2.0e4},
        {"name": f"enp{pci_bus}s0f0np0", "kind": "ether", "mac": _mac(cls.uplink_oui, rng), "mtu": 9000,
         "speed_mbps": cls.uplink_mbps, "operstate": "up", "rx_share": uplink_share, "tx_share": uplink_share,
         "rx_packet_bytes": 1460.0, "tx_packet_bytes": 6100.0, "base_rate_bytes": 0.0},
        {"name": "docker0", "kind": "bridge", "mac": _mac("02:42:ac", rng), "mtu": 1500, "speed_mbps": None,
         "operstate": "up", "rx_share": 0.0, "tx_share": 0.0, "rx_packet_bytes": 900.0,
         "tx_packet_bytes": 1100.0, "base_rate_bytes": _uniform(rng, 2.0e5, 8.0e5, 0)},
    ]  # fmt: skip
    for position, nic in enumerate(nics):
        rows.add("nics", host_id=host_id, position=position, **nic)


def _filesystem_rows(
    rows: SeedRows, host_id: int, cls: HostClass, mem_total_kb: int, rng: np.random.Generator
) -> None:
    """Every line of /proc/1/mounts of an Ubuntu/Debian server, in mount order."""
    root_size = int(DRIVES[cls.os_drive].size_bytes * 0.975) // BLOCK_SIZE * BLOCK_SIZE
    data_size = int(DRIVES[cls.data_drive].size_bytes * 0.9985) // BLOCK_SIZE * BLOCK_SIZE
    root_used, data_used = _uniform(rng, 0.18, 0.45, 4), _uniform(rng, 0.30, 0.55, 4)
    pseudo = "rw,nosuid,nodev,noexec,relatime"
    run_kb, half_kb, inodes = mem_total_kb // 10, mem_total_kb // 2, mem_total_kb // 4
    positions = itertools.count()

    def mount(mountpoint: str, device: str, fstype: str, options: str, **usage: float) -> None:
        rows.add(
            "filesystems", host_id=host_id, position=next(positions), mountpoint=mountpoint,
            device=device, fstype=fstype, options=options, size_bytes=int(usage.get("size", 0)),
            block_size=BLOCK_SIZE, reserved_ratio=usage.get("reserved", 0.0),
            used_ratio=usage.get("used", 0.0), files=int(usage.get("files", 0)),
            files_used=int(usage.get("files_used", 0)), avg_file_bytes=int(usage.get("avg_file", 0)),
            readonly=0,
        )  # fmt: skip

    mount("/sys", "sysfs", "sysfs", pseudo)
    mount("/proc", "proc", "proc", pseudo)
    mount("/dev", "udev", "devtmpfs",
          f"rw,nosuid,relatime,size={half_kb}k,nr_inodes={inodes},mode=755,inode64",
          size=half_kb * KIB, files=inodes, files_used=900)  # fmt: skip
    mount("/dev/pts", "devpts", "devpts", "rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000")
    mount("/run", "tmpfs", "tmpfs", f"{pseudo},size={run_kb}k,mode=755,inode64", size=run_kb * KIB,
          used=0.0009, files=inodes, files_used=1400, avg_file=4096)  # fmt: skip
    root_files = root_size // 16384  # ext4's default bytes-per-inode
    mount("/", "/dev/nvme0n1p2", "ext4", "rw,relatime", size=root_size, reserved=0.05, used=root_used,
          files=root_files, files_used=root_files * root_used * 0.4, avg_file=65536)  # fmt: skip
    mount("/sys/kernel/security", "securityfs", "securityfs", pseudo)
    mount("/dev/shm", "tmpfs", "tmpfs", "rw,nosuid,nodev,inode64", size=half_kb * KIB, files=inodes,
          files_used=3, avg_file=4096)  # fmt: skip
    mount("/run/lock", "tmpfs", "tmpfs", f"{pseudo},size=5120k,inode64", size=5120 * KIB, files=inodes,
          files_used=2, avg_file=4096)  # fmt: skip
    mount("/sys/fs/cgroup", "cgroup2", "cgroup2", f"{pseudo},nsdelegate,memory_recursiveprot")
    mount("/sys/fs/pstore", "pstore", "pstore", pseudo)
    mount("/sys/fs/bpf", "bpf", "bpf", f"{pseudo},mode=700")
    mount("/boot/efi", "/dev/nvme0n1p1", "vfat",
          "rw,relatime,fmask=0077,dmask=0077,codepage=437,iocharset=iso8859-1,shortname=mixed,errors=remount-ro",
          size=1_124_999_168, used=0.0056)  # fmt: skip
    mount("/data", "/dev/nvme1n1", "xfs", "rw,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota",
          size=data_size, used=data_used, files=data_size // 10240,
          files_used=data_size * data_used // MODEL_FILE_BYTES, avg_file=MODEL_FILE_BYTES)  # fmt: skip


def _sensor_rows(rows: SeedRows, host_id: int, cpu: CpuModel, sockets: int, rng: np.random.Generator) -> None:
    """hwmon chips with the sysfs device each belongs to (exporters name chips after that device)."""
    # (driver, device under /sys, [(tempN, label, offset from the kind's target, max, crit, min)])
    chips: list[tuple[str, str, list[tuple[int, str, float, float | None, float | None, float | None]]]] = []
    for socket in range(sockets):
        if cpu.hwmon_driver == "coretemp":
            temps = [(1, f"Package id {socket}", 2.0, 80.0, 100.0, None)]
            temps += [(core + 2, f"Core {core}", -3.0, 80.0, 100.0, None) for core in range(4)]
            chips.append(("coretemp", f"devices/platform/coretemp.{socket}", temps))
        else:
            temps = [(1, "Tctl", 1.0, None, None, None), (3, "Tccd1", -1.0, None, None, None),
                     (4, "Tccd2", -2.0, None, None, None)]  # fmt: skip
            bus = f"{socket * 0x80:02x}"
            chips.append(("k10temp", f"devices/pci0000:{bus}/0000:{bus}:18.3", temps))
    for index, drive_offset in enumerate((0.0, 3.0)):  # nvme0 (OS), nvme1 (data: busier and hotter)
        device = f"devices/pci0000:00/0000:00:01.{index + 1}/0000:{index + 1:02x}:00.0/nvme/nvme{index}"
        chips.append(("nvme", device, [(1, "Composite", drive_offset, 81.85, 84.85, -273.15)]))
    for chip, (driver, device, temps) in enumerate(chips):
        for temp, label, base_offset, max_c, crit_c, min_c in temps:
            rows.add(
                "hwmon_sensors", host_id=host_id, chip=chip, chip_name=driver, device=device, temp=temp,
                label=label, kind="nvme" if driver == "nvme" else "cpu",
                offset_c=round(base_offset + float(rng.uniform(-1.5, 1.5)), 2), max_c=max_c, crit_c=crit_c,
                min_c=min_c,
            )  # fmt: skip


def _host(rows: SeedRows, host_id: int, cls: HostClass, rng: np.random.Generator, fake: Faker) -> None:
    cpu = CPU_MODELS[cls.cpu]
    os_profile = OS_PROFILES[cls.os]
    ram_gib = int(rng.choice(cls.ram_gib))
    mem_total_kb = int(ram_gib * GIB // KIB * (1 - float(rng.uniform(0.011, 0.018))))  # firmware reserves
    ncpu = _cpu_rows(rows, host_id, cpu, cls.sockets)
    jitter = rng.uniform(0.8, 1.2, size=6)
    rows.add(
        "hosts",
        id=host_id,
        hostname=f"{cls.prefix}-{int(rng.integers(1, 40)):02d}",
        domain=fake.domain_name(),
        machine_id=rng.bytes(16).hex(),
        role=cls.role,
        os_release=os_profile.os_release,
        kernel_release=os_profile.kernel_release,
        kernel_version=os_profile.kernel_version,
        arch="x86_64",
        cpu_vendor=cpu.vendor,
        cpu_family=cpu.family,
        cpu_model=cpu.model,
        cpu_model_name=cpu.name,
        cpu_stepping=cpu.stepping,
        cpu_microcode=cpu.microcode,
        cpu_mhz=cpu.mhz,
        cpu_cache_kb=cpu.cache_kb,
        cpu_cpuid_level=cpu.cpuid_level,
        cpu_bogomips=cpu.bogomips,
        cpu_flags=cpu.flags,
        cpu_bugs=cpu.bugs,
        cpu_power_management=cpu.power_management,
        cpu_tlb_size=cpu.tlb_size,
        cpu_address_bits_physical=cpu.physical_bits,
        cpu_address_bits_virtual=cpu.virtual_bits,
        sockets=cls.sockets,
        cores_per_socket=cpu.cores_per_socket,
        threads_per_core=cpu.threads_per_core,
        mem_total_kb=mem_total_kb,
        swap_total_kb=cls.swap_kb,
        uptime_s=_uniform(rng, 3 * 86400, 60 * 86400, 2),
        tasks_base=ncpu * 4 + int(rng.integers(300, 700)),
        pid_base=int(rng.integers(1000, 3_000_000)),
        nr_irqs=512 + 8 * ncpu,
        ctxt_per_cpu_idle=round(250.0 * jitter[0], 2),
        ctxt_per_cpu_busy=round(4000.0 * jitter[1], 2),
        intr_per_cpu_idle=round(150.0 * jitter[2], 2),
        intr_per_cpu_busy=round(2500.0 * jitter[3], 2),
        forks_idle=round(4.0 * jitter[4], 3),
        forks_busy=round(40.0 * jitter[5], 3),
    )
    _disk_rows(rows, host_id, cls, rng, fake)
    _nic_rows(rows, host_id, cls, rng)
    _filesystem_rows(rows, host_id, cls, mem_total_kb, rng)
    _sensor_rows(rows, host_id, cpu, cls.sockets, rng)


def generate_rows(seed: int) -> SeedRows:
    """Every seeded row, in insertion order; a pure function of ``seed``."""
    rng = np.random.default_rng(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rows = SeedRows()
    rows.add("meta", key="generator", value="llmon-mock seed")
    rows.add("meta", key="schema_version", value=SCHEMA_VERSION)
    rows.add("meta", key="seed", value=str(seed))
    rows.add("mock_state", id=1, scenario=DEFAULT_SCENARIO, generation=0, paused=0, speed=1.0,
             started_at=None, offset_s=0.0, origin_wall=None)  # fmt: skip
    for model_id, model in enumerate(GPU_MODELS, start=1):
        rows.add("gpu_models", id=model_id, **model)
    for host_id, cls in enumerate(HOST_CLASSES, start=1):
        _host(rows, host_id, cls, rng, fake)
    fill_gpus(rows, seed)
    fill_litellm(rows, seed)
    fill_langfuse(rows, seed)
    fill_containers(rows, seed)  # hands out the GPUs seeded above
    fill_vllm(rows, seed)  # keep last: it adopts the vLLM containers seeded above
    return rows


# --- writing -------------------------------------------------------------------------------------


def _writable_target(out: Path) -> Path:
    parent = out.parent
    if out.is_dir():
        raise SeedOutputError(f"--out: '{out}' is a directory, expected a file path")
    if not parent.is_dir():
        raise SeedOutputError(f"--out: directory '{parent}' does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SeedOutputError(f"--out: directory '{parent}' is not writable")
    return parent


def _write_rows(conn: sqlite3.Connection, rows: SeedRows) -> None:
    conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.executescript(SCHEMA_PATH.read_text(encoding="utf-8"))
    conn.execute("BEGIN")
    for table, table_rows in rows.tables.items():
        columns = list(table_rows[0])
        placeholders = ", ".join("?" for _ in columns)
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
            [tuple(row[c] for c in columns) for row in table_rows],
        )
    conn.execute("COMMIT")
    conn.execute("VACUUM")


def build_seed(seed: int, out: Path) -> None:
    """Write the seed database for ``seed`` to ``out``, atomically replacing any existing file."""
    parent = _writable_target(out)
    rows = generate_rows(seed)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        raise SeedOutputError(f"--out: cannot write in '{parent}': {exc.strerror}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            _write_rows(conn, rows)
        finally:
            conn.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise SeedOutputError(f"--out: cannot write '{out}': {exc}") from None
