"""The node twin: a fake procfs/sysfs tree, rewritten every tick from the scenario engine.

The node exporter reads it exactly as it reads a real host (``--path.procfs=<root>/proc
--path.sysfs=<root>/sys --path.rootfs=<root>/rootfs``), so the files below copy the byte layout of a
6.x x86_64 kernel: /proc/stat in USER_HZ jiffies, /proc/meminfo in kB in the kernel's field order,
/proc/diskstats with its 20 columns, PSI ``some``/``full`` lines, /proc/net/dev with its two header lines.

Filesystem sizes cannot be faked through procfs (the exporter calls statvfs()), so the twin also writes
``<root>/statvfs.json``: the one documented seam, read by the exporter's
``--collector.filesystem.statvfs-file`` (mountpoint -> f_frsize, f_blocks, f_bfree, f_bavail, f_files,
f_ffree, readonly).

Every file is replaced atomically (write a sibling temp file, then os.replace), so a reader sees the old
or the new content, never half a file. One twin process owns one root.

If the database disappears or becomes unreadable while running, the twin logs one line (once per
distinct error), keeps the last tree in place and retries every tick, logging again when it recovers:
the exporter keeps serving stale-but-valid data rather than errors, and a re-seed or a restored file is
picked up without a restart. At startup a missing or invalid database is an error (exit 2).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mock.db import current_clock, load_snapshot, open_db, read_history
from mock.engine import DISK_FIELDS, NET_FIELDS, HostState, host_state
from mock.errors import MockError
from mock.scenario import Scenario, get_scenario, load_scenarios

log = logging.getLogger("llmon.mock.twin.node")

USER_HZ = 100
UINT32 = 0xFFFFFFFF
SOFTIRQ_SHARES = (0.0005, 0.22, 0.002, 0.12, 0.03, 0.0, 0.004, 0.33, 0.0015, 0.2920)
# Share of interrupts that the per-IRQ columns account for; the rest are per-CPU local timer, IPI and
# NMI interrupts that the kernel adds to the "intr" total only.
IRQ_COLUMNS_SHARE = 0.4
DISK_MS_FIELDS = {"read_ms", "write_ms", "io_ms", "weighted_io_ms", "discard_ms", "flush_ms"}

# The order fs/proc/meminfo.c prints its fields in on 6.x x86_64 with THP, zswap and
# memory-failure support.
MEMINFO_LAYOUT = (
    "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached", "Active", "Inactive",
    "Active(anon)", "Inactive(anon)", "Active(file)", "Inactive(file)", "Unevictable", "Mlocked",
    "SwapTotal", "SwapFree", "Zswap", "Zswapped", "Dirty", "Writeback", "AnonPages", "Mapped", "Shmem",
    "KReclaimable", "Slab", "SReclaimable", "SUnreclaim", "KernelStack", "PageTables", "SecPageTables",
    "NFS_Unstable", "Bounce", "WritebackTmp", "CommitLimit", "Committed_AS", "VmallocTotal", "VmallocUsed",
    "VmallocChunk", "Percpu", "HardwareCorrupted", "AnonHugePages", "ShmemHugePages", "ShmemPmdMapped",
    "FileHugePages", "FilePmdMapped", "Unaccepted", "HugePages_Total", "HugePages_Free", "HugePages_Rsvd",
    "HugePages_Surp", "Hugepagesize", "Hugetlb", "DirectMap4k", "DirectMap2M", "DirectMap1G",
)  # fmt: skip
UNACCEPTED_SINCE = (6, 5)  # the "Unaccepted:" line exists from Linux 6.5


# --- file formats ----------------------------------------------------------------------------------


def _fixed2(value: float) -> str:
    """The kernel's LOAD_INT.LOAD_FRAC rendering: truncated, two decimals."""
    hundredths = int(max(value, 0.0) * 100)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _jiffies(seconds: float) -> int:
    return int(seconds * USER_HZ)


def _split_counts(total: int, shares: Iterable[float]) -> list[int]:
    """Per-column counts that are each monotonic in ``total`` (floor of a fixed share)."""
    return [int(total * share) for share in shares]


def _irq_shares(state: HostState) -> np.ndarray:
    """Which IRQ columns carry interrupts: a few legacy lines plus one MSI vector pair per CPU."""
    host = state.host
    weights = np.zeros(host.nr_irqs)
    weights[9] = 0.001  # acpi
    weights[24 : 24 + 2 * len(host.cpus)] = np.random.default_rng([host.id, zlib.crc32(b"irq")]).uniform(
        0.5, 1.5, 2 * len(host.cpus)
    )
    return weights / weights.sum() * IRQ_COLUMNS_SHARE


def render_stat(state: HostState, boot_time: int) -> str:
    modes = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice")
    per_cpu = [[_jiffies(getattr(cpu, mode)) for mode in modes] for cpu in state.cpus]
    totals = [sum(col) for col in zip(*per_cpu, strict=True)]
    lines = ["cpu  " + " ".join(map(str, totals))]
    lines += [f"cpu{i} " + " ".join(map(str, row)) for i, row in enumerate(per_cpu)]
    interrupts = int(state.kernel["interrupts"])
    lines.append(f"intr {interrupts} " + " ".join(map(str, _split_counts(interrupts, _irq_shares(state)))))
    softirqs = _split_counts(int(state.kernel["softirqs"]), SOFTIRQ_SHARES)
    lines += [
        f"ctxt {int(state.kernel['context_switches'])}",
        f"btime {boot_time}",
        f"processes {int(state.kernel['forks'])}",
        f"procs_running {state.procs_running}",
        f"procs_blocked {state.procs_blocked}",
        f"softirq {sum(softirqs)} " + " ".join(map(str, softirqs)),
    ]
    return "\n".join(lines) + "\n"


def _kernel_at_least(release: str, version: tuple[int, int]) -> bool:
    match = re.match(r"(\d+)\.(\d+)", release)
    return match is not None and (int(match[1]), int(match[2])) >= version


def render_meminfo(state: HostState) -> str:
    values = state.memory_kb
    lines = []
    for field in MEMINFO_LAYOUT:
        if field == "Unaccepted" and not _kernel_at_least(state.host.kernel_release, UNACCEPTED_SINCE):
            continue
        value = values[field]
        if field == "HardwareCorrupted":
            lines.append(f"HardwareCorrupted: {value:5d} kB")
        elif field.startswith("HugePages_"):
            lines.append(f"{field + ':':<16}   {value:5d}")
        else:
            lines.append(f"{field + ':':<16}{value:8d} kB")
    return "\n".join(lines) + "\n"


def render_loadavg(state: HostState) -> str:
    load1, load5, load15 = (_fixed2(v) for v in state.load)
    return f"{load1} {load5} {load15} {state.procs_running}/{state.tasks_total} {state.last_pid}\n"


def render_pressure(state: HostState, resource: str) -> str:
    lines = []
    for kind in ("some", "full"):
        line = state.pressure[resource].get(kind)
        if line is not None:
            lines.append(
                f"{kind} avg10={_fixed2(line.avg10)} avg60={_fixed2(line.avg60)} "
                f"avg300={_fixed2(line.avg300)} total={line.total_us}"
            )
    return "\n".join(lines) + "\n"


def render_diskstats(state: HostState) -> str:
    lines = []
    for disk in state.disks:
        counters = {
            field: int(value) & UINT32 if field in DISK_MS_FIELDS else int(value)
            for field, value in disk.counters.items()
        }
        columns = [counters[f] for f in DISK_FIELDS[:8]]
        columns += [disk.io_in_progress, counters["io_ms"], counters["weighted_io_ms"]]
        columns += [counters[f] for f in DISK_FIELDS[10:]]
        lines.append(
            f"{disk.seed.major:4d} {disk.seed.minor:7d} {disk.seed.name} " + " ".join(map(str, columns))
        )
    return "\n".join(lines) + "\n"


NETDEV_HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo "
    "colls carrier compressed\n"
)
NETDEV_WIDTHS = (7, 7, 4, 4, 4, 5, 10, 9, 8, 7, 4, 4, 4, 5, 7, 10)


def render_netdev(state: HostState) -> str:
    lines = [NETDEV_HEADER.rstrip("\n")]
    for nic in state.nics:
        values = [int(nic.counters[field]) for field in NET_FIELDS]
        cells = " ".join(f"{v:{w}d}" for v, w in zip(values, NETDEV_WIDTHS, strict=True))
        lines.append(f"{nic.seed.name:>6}: {cells}")
    return "\n".join(lines) + "\n"


def render_cpuinfo(state: HostState) -> str:
    host = state.host
    siblings = sum(1 for c in host.cpus if c.physical_id == 0)
    blocks = []
    for cpu in host.cpus:
        lines = [
            f"processor\t: {cpu.cpu}",
            f"vendor_id\t: {host.cpu_vendor}",
            f"cpu family\t: {host.cpu_family}",
            f"model\t\t: {host.cpu_model}",
            f"model name\t: {host.cpu_model_name}",
            f"stepping\t: {host.cpu_stepping}",
            f"microcode\t: {host.cpu_microcode}",
            f"cpu MHz\t\t: {host.cpu_mhz:.3f}",
            f"cache size\t: {host.cpu_cache_kb} KB",
            f"physical id\t: {cpu.physical_id}",
            f"siblings\t: {siblings}",
            f"core id\t\t: {cpu.core_id}",
            f"cpu cores\t: {host.cores_per_socket}",
            f"apicid\t\t: {cpu.apicid}",
            f"initial apicid\t: {cpu.apicid}",
            "fpu\t\t: yes",
            "fpu_exception\t: yes",
            f"cpuid level\t: {host.cpu_cpuid_level}",
            "wp\t\t: yes",
            f"flags\t\t: {host.cpu_flags}",
            f"bugs\t\t: {host.cpu_bugs}",
            f"bogomips\t: {host.cpu_bogomips:.2f}",
        ]
        if host.cpu_tlb_size is not None:
            lines.append(f"TLB size\t: {host.cpu_tlb_size} 4K pages")
        lines += [
            "clflush size\t: 64",
            "cache_alignment\t: 64",
            f"address sizes\t: {host.cpu_address_bits_physical} bits physical, "
            f"{host.cpu_address_bits_virtual} bits virtual",
            "power management:" + (f" {host.cpu_power_management}" if host.cpu_power_management else ""),
        ]
        blocks.append("\n".join(lines) + "\n\n")
    return "".join(blocks)


def render_mounts(state: HostState) -> str:
    return "".join(
        f"{fs.device} {fs.mountpoint} {fs.fstype} {fs.options} 0 0\n" for fs in state.host.filesystems
    )


def render_statvfs(state: HostState) -> str:
    table = {
        fs.seed.mountpoint: {
            "f_frsize": fs.seed.block_size,
            "f_blocks": fs.blocks,
            "f_bfree": fs.blocks_free,
            "f_bavail": fs.blocks_avail,
            "f_files": fs.files,
            "f_ffree": fs.files_free,
            "readonly": fs.seed.readonly,
        }
        for fs in state.filesystems
    }
    return json.dumps(table, indent=2) + "\n"


def _millidegrees(chip_name: str, celsius: float) -> int:
    """Each driver's resolution: coretemp whole degrees, k10temp 1/8 degree, NVMe whole kelvins."""
    if chip_name == "coretemp":
        return round(celsius) * 1000
    if chip_name == "k10temp":
        return round(celsius * 8) * 125
    if chip_name == "nvme":
        return round(celsius + 273.15) * 1000 - 273150
    return round(celsius * 1000)


def hwmon_files(state: HostState) -> dict[str, str]:
    """Relative path under sys/class/hwmon -> content."""
    files: dict[str, str] = {}
    for reading in state.sensors:
        sensor = reading.seed
        chip = f"hwmon{sensor.chip}"
        files[f"{chip}/name"] = f"{sensor.chip_name}\n"
        prefix = f"{chip}/temp{sensor.temp}"
        files[f"{prefix}_input"] = f"{_millidegrees(sensor.chip_name, reading.celsius)}\n"
        if sensor.label is not None:
            files[f"{prefix}_label"] = f"{sensor.label}\n"
        for suffix, limit in (("max", sensor.max_c), ("crit", sensor.crit_c), ("min", sensor.min_c)):
            if limit is not None:
                files[f"{prefix}_{suffix}"] = f"{round(limit * 1000)}\n"
    return files


def hwmon_device_links(state: HostState) -> dict[str, str]:
    """sys/class/hwmon/hwmonN/device -> the chip's device directory under sys/ (exporters name chips
    after it, e.g. platform_coretemp_0, so two sockets' coretemp chips stay distinct)."""
    return {f"sys/class/hwmon/hwmon{r.seed.chip}/device": f"sys/{r.seed.device}" for r in state.sensors}


def netclass_files(state: HostState) -> dict[str, str]:
    """Relative path under sys/class/net -> content (no speed where the kernel answers EINVAL)."""
    files: dict[str, str] = {}
    for nic in state.nics:
        seed = nic.seed
        files[f"{seed.name}/operstate"] = f"{seed.operstate}\n"
        files[f"{seed.name}/mtu"] = f"{seed.mtu}\n"
        files[f"{seed.name}/address"] = f"{seed.mac}\n"
        if seed.speed_mbps is not None:
            files[f"{seed.name}/speed"] = f"{seed.speed_mbps}\n"
    return files


def tree_files(state: HostState, boot_time: int) -> dict[str, str]:
    """Every file of the tree: path relative to the root -> content."""
    host = state.host
    mounts = render_mounts(state)
    files = {
        "proc/stat": render_stat(state, boot_time),
        "proc/meminfo": render_meminfo(state),
        "proc/loadavg": render_loadavg(state),
        "proc/cpuinfo": render_cpuinfo(state),
        "proc/diskstats": render_diskstats(state),
        "proc/net/dev": render_netdev(state),
        "proc/mounts": mounts,
        "proc/1/mounts": mounts,
        "proc/sys/kernel/ostype": "Linux\n",
        "proc/sys/kernel/osrelease": f"{host.kernel_release}\n",
        "proc/sys/kernel/version": f"{host.kernel_version}\n",
        "proc/sys/kernel/hostname": f"{host.hostname}\n",
        "proc/sys/kernel/domainname": "(none)\n",
        "rootfs/etc/os-release": host.os_release,
        "statvfs.json": render_statvfs(state),
    }
    for resource in ("cpu", "memory", "io", "irq"):
        files[f"proc/pressure/{resource}"] = render_pressure(state, resource)
    files.update({f"sys/class/hwmon/{p}": c for p, c in hwmon_files(state).items()})
    files.update({f"sys/class/net/{p}": c for p, c in netclass_files(state).items()})
    return files


# --- writing -------------------------------------------------------------------------------------


def write_atomic(path: Path, content: str) -> None:
    """Replace ``path`` in one step so readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.llmon-tmp")
    tmp.write_text(content, encoding="utf-8")
    os.replace(tmp, path)


def link_atomic(link: Path, target: Path) -> None:
    """Point ``link`` at ``target`` (relative, so the tree can move) in one step."""
    link.parent.mkdir(parents=True, exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.llmon-tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)


class TreeWriter:
    """Writes trees under one root, skipping files whose content did not change since the last write."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._written: dict[str, str] = {}

    def write(self, state: HostState, boot_time: int) -> None:
        for relative, content in tree_files(state, boot_time).items():
            if self._written.get(relative) != content:
                write_atomic(self.root / relative, content)
                self._written[relative] = content
        for relative, target in hwmon_device_links(state).items():
            if self._written.get(relative) != target:
                link_atomic(self.root / relative, self.root / target)
                self._written[relative] = target


def write_tree(root: Path, state: HostState, boot_time: int) -> None:
    """Write the whole tree for one state (tests and one-off snapshots)."""
    TreeWriter(root).write(state, boot_time)


# --- the running twin ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    state: HostState
    boot_time: int
    generation: int


def compute_tick(db_path: Path, scenarios: dict[str, Scenario], hostname: str | None, now: float) -> Tick:
    """Read the clock, history and seed from the database and compute the host's state at ``now``."""
    with open_db(db_path) as conn:
        clock = current_clock(conn, now)
        history = read_history(conn)
        snapshot = load_snapshot(conn)
    host = snapshot.host_named(hostname) if hostname else snapshot.hosts[0]
    played = [(get_scenario(scenarios, name), seconds) for name, seconds in history]
    state = host_state(get_scenario(scenarios, clock.scenario), snapshot, host.id, clock.t(now), played)
    origin = clock.origin_wall if clock.origin_wall is not None else now
    return Tick(state, math.floor(origin - host.uptime_s), clock.generation)


class NodeTwin:
    """The twin's loop: one tree per tick until ``stop`` is set."""

    def __init__(self, db_path: Path, root: Path, interval: float, hostname: str | None = None) -> None:
        self.db_path = db_path
        self.root = root
        self.interval = interval
        self.hostname = hostname
        self.stop_event = threading.Event()
        self.scenarios = load_scenarios()
        self._writer = TreeWriter(root)
        self._last_error: str | None = None
        self._serving: tuple[int, str] | None = None

    def start(self) -> None:
        """First tick, synchronously: configuration errors surface here as MockError."""
        tick = compute_tick(self.db_path, self.scenarios, self.hostname, time.time())
        self._writer.write(tick.state, tick.boot_time)
        self._serving = (tick.generation, tick.state.scenario)
        log.info(
            "node twin started",
            extra={
                "root": str(self.root),
                "host": tick.state.host.hostname,
                "scenario": tick.state.scenario,
                "t": round(tick.state.t, 3),
            },
        )

    def tick(self) -> None:
        try:
            tick = compute_tick(self.db_path, self.scenarios, self.hostname, time.time())
            self._writer.write(tick.state, tick.boot_time)
        except (MockError, OSError) as exc:
            message = str(exc)
            if message != self._last_error:
                log.error(
                    "cannot update the node tree; keeping the last one and retrying every tick",
                    extra={"error": message},
                )
                self._last_error = message
            return
        if self._last_error is not None:
            log.info("node tree updating again", extra={"db": str(self.db_path)})
            self._last_error = None
        serving = (tick.generation, tick.state.scenario)
        if serving != self._serving:
            previous = self._serving[1] if self._serving else None
            log.info(
                "scenario switched",
                extra={"from": previous, "to": serving[1], "generation": serving[0]},
            )
            self._serving = serving

    def serve(self) -> int:
        """Tick until ``stop_event`` is set (SIGTERM/SIGINT in the CLI); call after ``start``."""
        while not self.stop_event.wait(self.interval):
            self.tick()
        log.info("node twin stopped", extra={"root": str(self.root)})
        return 0
