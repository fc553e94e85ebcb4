"""/proc/stat: per-CPU time accounting and the kernel-wide activity counters.

Format (proc(5)): `cpuN user nice system idle iowait irq softirq steal guest guest_nice` in USER_HZ
ticks; kernels before 2.6.33 lack guest_nice and older ones stop earlier, so trailing columns are
optional. Then `intr <total> <per-irq...>`, `ctxt`, `btime`, `processes`, `procs_running`,
`procs_blocked`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from exporters.node.sources.files import HostPaths, malformed, parse_int, read_text

# The kernel reports times in USER_HZ, which is 100 on every Linux ABI (sysconf(_SC_CLK_TCK)).
USER_HZ = 100

# Column order of a cpu line; guest and guest_nice are also counted inside user and nice.
CPU_COLUMNS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice")
GUEST_COLUMNS = {"guest": "user", "guest_nice": "nice"}
MIN_CPU_COLUMNS = 4


@dataclass(frozen=True)
class CpuTimes:
    """Seconds one logical CPU spent in each mode, as node_exporter labels them."""

    cpu: str
    seconds: dict[str, float]
    guest_seconds: dict[str, float]


@dataclass(frozen=True)
class KernelCounters:
    boot_time_seconds: int
    context_switches: int
    forks: int
    interrupts: int
    procs_running: int
    procs_blocked: int


REQUIRED_KEYS = ("btime", "ctxt", "processes", "intr", "procs_running", "procs_blocked")


# The cpu and stat collectors read the file separately and each parses only its own lines, so a
# garbled cpu line fails only the cpu collector and a missing btime only the stat collector.


def read_cpu_times(paths: HostPaths) -> list[CpuTimes]:
    path = paths.proc("stat")
    return parse_cpu_times(read_text(path), path)


def read_kernel_counters(paths: HostPaths) -> KernelCounters:
    path = paths.proc("stat")
    return parse_kernel_counters(read_text(path), path)


def parse_cpu_times(text: str, path: Path) -> list[CpuTimes]:
    cpus = []
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        if key.startswith("cpu") and key[3:].isdecimal():
            cpus.append(_parse_cpu_line(key[3:], rest.split(), path))
    if not cpus:
        raise malformed(path, "no per-CPU lines")
    return cpus


def parse_kernel_counters(text: str, path: Path) -> KernelCounters:
    counters: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        if key in REQUIRED_KEYS:
            values = rest.split()
            if not values:
                raise malformed(path, f"the {key} line has no value")
            counters[key] = parse_int(values[0], path, key)
    missing = [key for key in REQUIRED_KEYS if key not in counters]
    if missing:
        raise malformed(path, f"no {', '.join(missing)} line")
    return KernelCounters(
        boot_time_seconds=counters["btime"],
        context_switches=counters["ctxt"],
        forks=counters["processes"],
        interrupts=counters["intr"],
        procs_running=counters["procs_running"],
        procs_blocked=counters["procs_blocked"],
    )


def _parse_cpu_line(cpu: str, tokens: list[str], path: Path) -> CpuTimes:
    if len(tokens) < MIN_CPU_COLUMNS:
        raise malformed(path, f"cpu{cpu} has {len(tokens)} columns, expected at least {MIN_CPU_COLUMNS}")
    seconds: dict[str, float] = {}
    guest_seconds: dict[str, float] = {}
    for column, token in zip(CPU_COLUMNS, tokens, strict=False):
        value = parse_int(token, path, f"cpu{cpu} {column}") / USER_HZ
        if column in GUEST_COLUMNS:
            guest_seconds[GUEST_COLUMNS[column]] = value
        else:
            seconds[column] = value
    return CpuTimes(cpu=cpu, seconds=seconds, guest_seconds=guest_seconds)
