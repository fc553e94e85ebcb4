"""The scenario engine: the host's state as a pure function of (scenarios played, seed, t).

Every scenario target is a piecewise-linear function of scenario time (phases with linear ramps, see
mock/scenario.py). A counter's rate is a non-negative linear combination of those targets, so its
integral is exact and closed-form: the trapezoid areas between knots. A counter at time t is

    counter(t) = value at scenario start            (uptime x the CALM rate: the host's past)
               + sum of exact integrals over every scenario played before (mock_history)
               + exact integral over the current scenario's [0, t]
               + a bounded noise term

so the state at t=300 s is computed directly, Prometheus' rate() sees the configured rates, and a
scenario switch continues every counter from where it stood (nothing goes backwards).

Noise is deterministic and never from a global RNG: each (seed, host, counter family, 10-second bucket)
seeds its own generator. For counters the noise is a smooth bump that is zero at every bucket boundary
and whose slope never exceeds ``noise`` times the smallest rate within the bucket, so counters stay
monotonic and the rate over any interval is within ``2 * noise * rate * BUCKET_S / pi / interval`` of
the configured one (``counter_noise_bound``). Levels (memory, temperatures) get a smooth value noise.
"""

from __future__ import annotations

import math
import zlib
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mock.db import DiskSeed, FilesystemSeed, HostSeed, NicSeed, SeedSnapshot, SensorSeed
from mock.scenario import CALM, CHANNELS, CPU_MODES, PSI_LINES, FilesystemTarget, Scenario

BUCKET_S = 10.0
SECTOR_BYTES = 512
PID_MAX = 4_194_304
LOAD_WINDOWS = (60.0, 300.0, 900.0)
PSI_WINDOWS = (10.0, 60.0, 300.0)
WRITE_LATENCY_FACTOR = 0.6  # writes land in the drive's cache
DISK_FIELDS = (
    "reads_completed",
    "reads_merged",
    "sectors_read",
    "read_ms",
    "writes_completed",
    "writes_merged",
    "sectors_written",
    "write_ms",
    "io_ms",
    "weighted_io_ms",
    "discards_completed",
    "discards_merged",
    "sectors_discarded",
    "discard_ms",
    "flushes_completed",
    "flush_ms",
)
NET_FIELDS = (
    "rx_bytes",
    "rx_packets",
    "rx_errs",
    "rx_drop",
    "rx_fifo",
    "rx_frame",
    "rx_compressed",
    "rx_multicast",
    "tx_bytes",
    "tx_packets",
    "tx_errs",
    "tx_drop",
    "tx_fifo",
    "tx_colls",
    "tx_carrier",
    "tx_compressed",
)
KERNEL_FIELDS = ("context_switches", "interrupts", "softirqs", "forks")

_CHANNEL_INDEX = {name: i for i, name in enumerate(CHANNELS)}
_CALM_VECTOR = np.array([CALM[c] for c in CHANNELS])


def _unit(*channels: str) -> np.ndarray:
    vec = np.zeros(len(CHANNELS))
    for channel in channels:
        vec[_CHANNEL_INDEX[channel]] += 1.0
    return vec


_BUSY = _unit(*(f"cpu.{mode}" for mode in CPU_MODES))


# --- piecewise-linear profile of one scenario ------------------------------------------------------


class Profile:
    """A scenario's channels as piecewise-linear functions of scenario time, with exact integrals."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.noise = scenario.noise
        self.period = scenario.duration if scenario.loop else None
        targets = [np.array([t[c] for c in CHANNELS]) for t in scenario.resolved_targets()]
        previous = targets[-1] if scenario.loop else _CALM_VECTOR
        times: list[float] = []
        values: list[np.ndarray] = []
        for phase, target in zip(scenario.phases, targets, strict=True):
            times += [phase.start, phase.start + phase.ramp]
            values += [previous, target]
            previous = target
        if self.period is not None:
            times.append(self.period)
            values.append(previous)
        self.times = times
        self.values = np.array(values)
        widths = np.diff(np.array(times))[:, None]
        trapezoids = widths * (self.values[1:] + self.values[:-1]) / 2.0
        self.areas = np.vstack([np.zeros(len(CHANNELS)), np.cumsum(trapezoids, axis=0)])

    def _local(self, t: float) -> tuple[int, float]:
        """(completed periods, time within the period) for looping scenarios."""
        if self.period is None:
            return 0, t
        cycles = math.floor(t / self.period)
        return cycles, t - cycles * self.period

    def _value_in_period(self, t: float) -> np.ndarray:
        j = bisect_right(self.times, t) - 1
        if j >= len(self.times) - 1:
            return self.values[-1]
        t0, t1 = self.times[j], self.times[j + 1]
        frac = (t - t0) / (t1 - t0)
        return self.values[j] + (self.values[j + 1] - self.values[j]) * frac

    def value(self, t: float) -> np.ndarray:
        """Every channel's target at scenario time t."""
        return self._value_in_period(self._local(t)[1])

    def integral(self, t: float) -> np.ndarray:
        """Every channel's exact integral over [0, t]."""
        cycles, local = self._local(t)
        j = bisect_right(self.times, local) - 1
        partial = (
            self.areas[j] + (local - self.times[j]) * (self.values[j] + self._value_in_period(local)) / 2
        )
        return cycles * self.areas[-1] + partial if cycles else partial

    def _min_in_period(self, a: float, b: float) -> np.ndarray:
        inside = [self.values[j] for j, knot in enumerate(self.times) if a <= knot <= b]
        return np.min(np.vstack([self._value_in_period(a), self._value_in_period(b), *inside]), axis=0)

    def lower_bound(self, a: float, b: float) -> np.ndarray:
        """A per-channel lower bound of the targets over [a, b] (exact min up to knot-side values)."""
        if self.period is None:
            return self._min_in_period(a, b)
        _, start = self._local(a)
        end = start + (b - a)
        if end <= self.period:
            return self._min_in_period(start, end)
        return np.minimum(
            self._min_in_period(start, self.period), self._min_in_period(0.0, end - self.period)
        )


# --- counter families and the timeline -----------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """Counters whose rates are ``weights @ targets + const``, one row per counter instance."""

    name: str
    weights: np.ndarray  # (n, channels), all >= 0
    const: np.ndarray  # (n,)

    @property
    def stream(self) -> int:
        return zlib.crc32(self.name.encode())

    def calm_rate(self) -> np.ndarray:
        return self.weights @ _CALM_VECTOR + self.const


def _noise_uniform(key: Sequence[int], count: int) -> np.ndarray:
    return np.random.default_rng([*key]).uniform(-1.0, 1.0, count)


def counter_noise_bound(rate: float, noise: float, interval: float) -> float:
    """How far a counter's mean rate over ``interval`` seconds can be from a constant ``rate``."""
    return 2.0 * noise * rate * BUCKET_S / math.pi / interval


class Timeline:
    """The scenarios played so far (closed segments) plus the current one, in global time tau."""

    def __init__(self, parts: Sequence[tuple[Profile, float]], noise_key: tuple[int, int]) -> None:
        self.parts = list(parts)
        self.starts = list(np.cumsum([0.0] + [d for _, d in self.parts[:-1]]))
        self.tau = self.starts[-1] + self.parts[-1][1]
        self.noise_key = noise_key
        self._closed: dict[tuple[int, str], np.ndarray] = {}

    def _bump(self, profile: Profile, family: Family, t: float) -> np.ndarray:
        bucket = math.floor(t / BUCKET_S)
        phase = t / BUCKET_S - bucket
        if phase == 0.0 or profile.noise == 0.0:
            return np.zeros(len(family.const))
        low = family.weights @ profile.lower_bound(bucket * BUCKET_S, (bucket + 1) * BUCKET_S) + family.const
        amplitude = profile.noise * _noise_uniform((*self.noise_key, family.stream, bucket), len(low))
        return amplitude * low * BUCKET_S * (1.0 - math.cos(2.0 * math.pi * phase)) / (2.0 * math.pi)

    def _increment(self, profile: Profile, family: Family, t: float) -> np.ndarray:
        base = family.weights @ profile.integral(t) + family.const * t
        return base + self._bump(profile, family, t)

    def cumulative(self, family: Family, tau: float) -> np.ndarray:
        """Each counter's growth since scenario history began (negative before: the calm past)."""
        if tau <= 0.0:
            return family.calm_rate() * tau
        total = np.zeros(len(family.const))
        for index, ((profile, duration), start) in enumerate(zip(self.parts, self.starts, strict=True)):
            if tau <= start:
                break
            span = min(duration, tau - start)
            closed = span == duration and index < len(self.parts) - 1
            if closed:
                key = (index, family.name)
                if key not in self._closed:
                    self._closed[key] = self._increment(profile, family, span)
                total = total + self._closed[key]
            else:
                total = total + self._increment(profile, family, span)
        return total

    def window_mean(self, family: Family, window: float) -> np.ndarray:
        """Mean rate over the last ``window`` seconds (what /proc/loadavg and PSI avgN report)."""
        return (self.cumulative(family, self.tau) - self.cumulative(family, self.tau - window)) / window

    def smooth_noise(self, stream: str, t: float, count: int) -> np.ndarray:
        """Value noise in [-1, 1] that varies smoothly over time; one value per instance."""
        bucket = math.floor(t / BUCKET_S)
        u = t / BUCKET_S - bucket
        ease = u * u * (3.0 - 2.0 * u)
        key = (*self.noise_key, zlib.crc32(stream.encode()))
        a = _noise_uniform((*key, bucket), count)
        b = _noise_uniform((*key, bucket + 1), count)
        return a + (b - a) * ease


# --- host state ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuTimes:
    """Seconds each CPU spent per mode since boot (the twin writes them as USER_HZ jiffies)."""

    user: float
    nice: float
    system: float
    idle: float
    iowait: float
    irq: float
    softirq: float
    steal: float
    guest: float
    guest_nice: float


@dataclass(frozen=True)
class DiskState:
    seed: DiskSeed
    counters: dict[str, float]  # DISK_FIELDS; sectors, completed ops, milliseconds
    io_in_progress: int


@dataclass(frozen=True)
class NicState:
    seed: NicSeed
    counters: dict[str, float]  # NET_FIELDS


@dataclass(frozen=True)
class PressureLine:
    avg10: float  # percent of wall time stalled
    avg60: float
    avg300: float
    total_us: int


@dataclass(frozen=True)
class FilesystemState:
    seed: FilesystemSeed
    blocks: int
    blocks_free: int
    blocks_avail: int
    files: int
    files_free: int

    @property
    def avail_ratio(self) -> float:
        """What the filesystem alerts compare: f_bavail / f_blocks."""
        return self.blocks_avail / self.blocks if self.blocks else 0.0


@dataclass(frozen=True)
class SensorState:
    seed: SensorSeed
    celsius: float


@dataclass(frozen=True)
class HostState:
    host: HostSeed
    scenario: str
    t: float  # seconds into the current scenario
    tau: float  # seconds of scenario history (all scenarios played)
    uptime_s: float
    cpus: tuple[CpuTimes, ...]
    kernel: dict[str, float]  # KERNEL_FIELDS counters since boot
    procs_running: int
    procs_blocked: int
    load: tuple[float, float, float]
    tasks_total: int
    last_pid: int
    memory_kb: dict[str, int]  # /proc/meminfo fields in kB (HugePages_* in pages)
    pressure: dict[str, dict[str, PressureLine]]  # resource -> "some"/"full" -> line
    disks: tuple[DiskState, ...]
    nics: tuple[NicState, ...]
    filesystems: tuple[FilesystemState, ...]
    sensors: tuple[SensorState, ...]


def _cpu_family(host: HostSeed) -> Family:
    ncpu = len(host.cpus)
    rows = [_unit(f"cpu.{mode}") for mode in CPU_MODES for _ in range(ncpu)]
    return Family("cpu", np.array(rows), np.zeros(len(rows)))


def _kernel_family(host: HostSeed) -> Family:
    ncpu = len(host.cpus)
    intr_weights = ncpu * host.intr_per_cpu_busy * _BUSY
    weights = [
        ncpu * host.ctxt_per_cpu_busy * _BUSY,
        intr_weights,
        0.6 * intr_weights,
        host.forks_busy * _BUSY,
    ]
    const = [
        ncpu * host.ctxt_per_cpu_idle,
        ncpu * host.intr_per_cpu_idle,
        0.6 * ncpu * host.intr_per_cpu_idle,
        host.forks_idle,
    ]
    return Family("kernel", np.array(weights), np.array(const))


def _disk_shares(host: HostSeed) -> list[float]:
    shares = {d.name: d.io_share for d in host.disks if d.parent is None}
    return [d.io_share * (shares[d.parent] if d.parent else 1.0) for d in host.disks]


def _disk_family(host: HostSeed) -> Family:
    read_ops, write_ops = _unit("disk.read_ops"), _unit("disk.write_ops")
    read_bytes, write_bytes = _unit("disk.read_bytes"), _unit("disk.write_bytes")
    rows = []
    for disk, share in zip(host.disks, _disk_shares(host), strict=True):
        latency = disk.latency_ms
        busy_ms = latency * (read_ops + WRITE_LATENCY_FACTOR * write_ops)
        per_field = {
            "reads_completed": read_ops,
            "reads_merged": disk.merge_ratio * read_ops,
            "sectors_read": read_bytes / SECTOR_BYTES,
            "read_ms": latency * read_ops,
            "writes_completed": write_ops,
            "writes_merged": disk.merge_ratio * write_ops,
            "sectors_written": write_bytes / SECTOR_BYTES,
            "write_ms": latency * WRITE_LATENCY_FACTOR * write_ops,
            "io_ms": 0.85 * busy_ms,
            "weighted_io_ms": busy_ms,
            "discards_completed": 0.002 * write_ops,
            "discards_merged": 0.0 * write_ops,
            "sectors_discarded": 0.01 * write_bytes / SECTOR_BYTES,
            "discard_ms": 0.001 * latency * write_ops,
            "flushes_completed": 0.04 * write_ops,
            "flush_ms": 0.01 * latency * write_ops,
        }
        rows += [share * per_field[field] for field in DISK_FIELDS]
    return Family("disk", np.array(rows), np.zeros(len(rows)))


def _net_family(host: HostSeed) -> Family:
    rx, tx = _unit("network.receive_bytes"), _unit("network.transmit_bytes")
    zero = np.zeros(len(CHANNELS))
    weights, const = [], []
    for nic in host.nics:
        rx_bytes, tx_bytes = nic.rx_share * rx, nic.tx_share * tx
        rx_pkts, tx_pkts = rx_bytes / nic.rx_packet_bytes, tx_bytes / nic.tx_packet_bytes
        base = nic.base_rate_bytes
        per_field = {
            "rx_bytes": (rx_bytes, base),
            "rx_packets": (rx_pkts, base / nic.rx_packet_bytes),
            "rx_drop": (2e-7 * rx_pkts, 0.0),
            "rx_multicast": (zero, 1.5 if nic.kind == "ether" else 0.0),
            "tx_bytes": (tx_bytes, base),
            "tx_packets": (tx_pkts, base / nic.tx_packet_bytes),
        }
        for field in NET_FIELDS:
            w, c = per_field.get(field, (zero, 0.0))
            weights.append(w)
            const.append(c)
    return Family("net", np.array(weights), np.array(const))


def _psi_family() -> Family:
    return Family("psi", np.array([_unit(f"psi.{line}") for line in PSI_LINES]), np.zeros(len(PSI_LINES)))


def _load_family(host: HostSeed) -> Family:
    return Family("load", np.array([len(host.cpus) * _unit("load_per_core")]), np.zeros(1))


def _counters(timeline: Timeline, host: HostSeed, family: Family) -> np.ndarray:
    """Counter values since boot: the calm past plus growth over the scenario history."""
    return host.uptime_s * family.calm_rate() + timeline.cumulative(family, timeline.tau)


def _cpu_times(timeline: Timeline, host: HostSeed) -> tuple[CpuTimes, ...]:
    ncpu = len(host.cpus)
    busy = _counters(timeline, host, _cpu_family(host)).reshape(len(CPU_MODES), ncpu)
    idle = host.uptime_s + timeline.tau - busy.sum(axis=0)
    modes = dict(zip(CPU_MODES, busy, strict=True))
    return tuple(
        CpuTimes(**{m: float(modes[m][i]) for m in CPU_MODES}, idle=float(idle[i]), guest=0.0, guest_nice=0.0)
        for i in range(ncpu)
    )


def _pressure(timeline: Timeline, host: HostSeed) -> dict[str, dict[str, PressureLine]]:
    family = _psi_family()
    totals = _counters(timeline, host, family)
    means = [timeline.window_mean(family, w) for w in PSI_WINDOWS]
    lines = {}
    for i, name in enumerate(PSI_LINES):
        avgs = [min(100.0, max(0.0, 100.0 * float(m[i]))) for m in means]
        lines[name] = PressureLine(avgs[0], avgs[1], avgs[2], int(totals[i] * 1e6))
    idle = PressureLine(0.0, 0.0, 0.0, 0)  # "CPU full is undefined at the system level" (kernel docs)
    return {
        "cpu": {"some": lines["cpu_some"], "full": idle},
        "memory": {"some": lines["memory_some"], "full": lines["memory_full"]},
        "io": {"some": lines["io_some"], "full": lines["io_full"]},
        "irq": {"full": lines["irq_full"]},
    }


def _memory_kb(host: HostSeed, used_ratio: float, write_rate: float, tasks: int) -> dict[str, int]:
    """A consistent /proc/meminfo for a host whose MemAvailable is (1 - used_ratio) of MemTotal."""
    total = host.mem_total_kb
    ncpu = len(host.cpus)
    avail = total * (1.0 - used_ratio)
    free = max(avail * 0.30, total * 0.004)
    buffers = avail * 0.02
    file_pages = avail * 0.62
    sreclaimable = max(avail - free - buffers - file_pages, 0.0)
    shmem = total * 0.006
    sunreclaim = total * 0.004
    kernel_stack = tasks * 16
    page_tables = total * 0.002
    percpu = ncpu * 312
    anon = max(total - avail - shmem - sunreclaim - kernel_stack - page_tables - percpu, 0.0)
    swap_used = host.swap_total_kb * min(max((used_ratio - 0.85) / 0.15, 0.0), 1.0) * 0.25
    virtual_bits = host.cpu_address_bits_virtual
    direct_4k = total * 0.002 // 4 * 4
    direct_2m = total * 0.03 // 2048 * 2048
    fields = {
        "MemTotal": total,
        "MemFree": free,
        "MemAvailable": avail,
        "Buffers": buffers,
        "Cached": file_pages + shmem,
        "SwapCached": swap_used * 0.05,
        "Active(anon)": anon * 0.82 + shmem,
        "Inactive(anon)": anon * 0.18,
        "Active(file)": (file_pages + buffers) * 0.55,
        "Inactive(file)": (file_pages + buffers) * 0.45,
        "Unevictable": 32,
        "Mlocked": 32,
        "SwapTotal": host.swap_total_kb,
        "SwapFree": host.swap_total_kb - swap_used,
        "Zswap": 0,
        "Zswapped": 0,
        "Dirty": min(write_rate * 5.0 / 1024.0, file_pages * 0.1),
        "Writeback": min(write_rate * 0.05 / 1024.0, file_pages * 0.01),
        "AnonPages": anon,
        "Mapped": file_pages * 0.08 + shmem,
        "Shmem": shmem,
        "KReclaimable": sreclaimable,
        "Slab": sreclaimable + sunreclaim,
        "SReclaimable": sreclaimable,
        "SUnreclaim": sunreclaim,
        "KernelStack": kernel_stack,
        "PageTables": page_tables,
        "SecPageTables": 0,
        "NFS_Unstable": 0,
        "Bounce": 0,
        "WritebackTmp": 0,
        "CommitLimit": total // 2 + host.swap_total_kb,
        "Committed_AS": anon * 1.6 + shmem,
        "VmallocTotal": 13_107_200_000 if virtual_bits >= 57 else 34_359_738_367,
        "VmallocUsed": total * 0.0004 + ncpu * 1024,
        "VmallocChunk": 0,
        "Percpu": percpu,
        "HardwareCorrupted": 0,
        "AnonHugePages": anon * 0.3 // 2048 * 2048,
        "ShmemHugePages": 0,
        "ShmemPmdMapped": 0,
        "FileHugePages": 0,
        "FilePmdMapped": 0,
        "Unaccepted": 0,
        "HugePages_Total": 0,
        "HugePages_Free": 0,
        "HugePages_Rsvd": 0,
        "HugePages_Surp": 0,
        "Hugepagesize": 2048,
        "Hugetlb": 0,
        "DirectMap4k": direct_4k,
        "DirectMap2M": direct_2m,
        "DirectMap1G": math.ceil((total - direct_4k - direct_2m) / 1_048_576) * 1_048_576,
    }
    fields["Active"] = fields["Active(anon)"] + fields["Active(file)"]
    fields["Inactive"] = fields["Inactive(anon)"] + fields["Inactive(file)"]
    return {name: int(value) for name, value in fields.items()}


def _filesystem_used_bytes(scenario: Scenario, fs: FilesystemSeed, t: float) -> float:
    """Used bytes of one filesystem at scenario time t, phase by phase (levels and fill rates)."""
    size = float(fs.size_bytes)
    used = size * fs.used_ratio
    if scenario.loop and scenario.duration:
        t = t % scenario.duration
    targets = scenario.resolved_filesystems()
    ends = [p.start for p in scenario.phases[1:]] + [math.inf]
    for phase, end, by_mount in zip(scenario.phases, ends, targets, strict=True):
        if t < phase.start:
            break
        target: FilesystemTarget | None = by_mount.get(fs.mountpoint)
        elapsed = min(t, end) - phase.start
        if target is None:
            continue
        if target.used_ratio is not None:
            goal = size * target.used_ratio
            progress = 1.0 if phase.ramp == 0 else min(1.0, elapsed / phase.ramp)
            used += (goal - used) * progress
        else:
            used += (target.fill_rate or 0.0) * elapsed
        used = min(max(used, 0.0), size)
    return used


def _filesystem_state(scenario: Scenario, fs: FilesystemSeed, t: float) -> FilesystemState:
    if fs.size_bytes == 0:
        return FilesystemState(fs, 0, 0, 0, fs.files, fs.files - fs.files_used)
    blocks = fs.size_bytes // fs.block_size
    used = _filesystem_used_bytes(scenario, fs, t)
    used_blocks = min(blocks, math.ceil(used / fs.block_size))
    free = blocks - used_blocks
    avail = max(0, free - int(blocks * fs.reserved_ratio))
    files_used = fs.files_used
    if fs.avg_file_bytes:
        files_used += round((used - fs.size_bytes * fs.used_ratio) / fs.avg_file_bytes)
    files_used = min(max(files_used, 0), fs.files)
    return FilesystemState(fs, blocks, free, avail, fs.files, fs.files - files_used)


def _sensors(timeline: Timeline, host: HostSeed, targets: np.ndarray, t: float) -> tuple[SensorState, ...]:
    wobble = timeline.smooth_noise("temperatures", t, len(host.sensors))
    channel = {"cpu": "temperatures.cpu", "nvme": "temperatures.nvme"}
    return tuple(
        SensorState(
            sensor, float(targets[_CHANNEL_INDEX[channel[sensor.kind]]] + sensor.offset_c + 1.5 * noise)
        )
        for sensor, noise in zip(host.sensors, wobble, strict=True)
    )


def host_state(
    scenario: Scenario,
    snapshot: SeedSnapshot,
    host_id: int,
    t: float,
    history: Sequence[tuple[Scenario, float]] = (),
) -> HostState:
    """The host's full state ``t`` seconds into ``scenario``, after the ``history`` of (scenario,
    seconds played) that came before it. Pure: same inputs, same output, no clock, no I/O."""
    if not math.isfinite(t) or t < 0:
        raise ValueError(f"scenario time must be a finite number >= 0, got {t!r}")
    host = snapshot.host(host_id)
    current = Profile(scenario)
    parts = [(Profile(s), float(d)) for s, d in history] + [(current, float(t))]
    timeline = Timeline(parts, (snapshot.seed, host.id))
    ncpu = len(host.cpus)
    targets = current.value(t)
    busy = float(targets @ _BUSY)

    kernel = dict(
        zip(KERNEL_FIELDS, map(float, _counters(timeline, host, _kernel_family(host))), strict=True)
    )
    load = tuple(float(timeline.window_mean(_load_family(host), w)[0]) for w in LOAD_WINDOWS)
    level_noise = timeline.smooth_noise("levels", t, 3)
    running_now = targets[_CHANNEL_INDEX["load_per_core"]] * ncpu * (1.0 + scenario.noise * level_noise[0])
    tasks_total = int(host.tasks_base * (1.0 + 0.25 * busy) * (1.0 + 0.01 * level_noise[1]))
    used_ratio = float(targets[_CHANNEL_INDEX["memory_used_ratio"]]) * (1.0 + scenario.noise * level_noise[2])
    used_ratio = min(max(used_ratio, 0.01), 0.995)

    disk_counters = _counters(timeline, host, _disk_family(host)).reshape(len(host.disks), len(DISK_FIELDS))
    disks = []
    for disk, share, row in zip(host.disks, _disk_shares(host), disk_counters, strict=True):
        in_flight_ms = disk.latency_ms * (
            targets[_CHANNEL_INDEX["disk.read_ops"]]
            + WRITE_LATENCY_FACTOR * targets[_CHANNEL_INDEX["disk.write_ops"]]
        )
        disks.append(
            DiskState(
                disk,
                dict(zip(DISK_FIELDS, map(float, row), strict=True)),
                round(share * in_flight_ms / 1000.0),
            )
        )
    net_counters = _counters(timeline, host, _net_family(host)).reshape(len(host.nics), len(NET_FIELDS))
    nics = tuple(
        NicState(nic, dict(zip(NET_FIELDS, map(float, row), strict=True)))
        for nic, row in zip(host.nics, net_counters, strict=True)
    )
    return HostState(
        host=host,
        scenario=scenario.name,
        t=float(t),
        tau=float(timeline.tau),
        uptime_s=host.uptime_s + float(timeline.tau),
        cpus=_cpu_times(timeline, host),
        kernel=kernel,
        procs_running=max(1, round(min(running_now, ncpu * 2.0))),
        procs_blocked=round(targets[_CHANNEL_INDEX["cpu.iowait"]] * ncpu),
        load=(load[0], load[1], load[2]),
        tasks_total=tasks_total,
        last_pid=int((host.pid_base + kernel["forks"]) % PID_MAX),
        memory_kb=_memory_kb(
            host, used_ratio, float(targets[_CHANNEL_INDEX["disk.write_bytes"]]), tasks_total
        ),
        pressure=_pressure(timeline, host),
        disks=tuple(disks),
        nics=nics,
        filesystems=tuple(_filesystem_state(scenario, fs, t) for fs in host.filesystems),
        sensors=_sensors(timeline, host, targets, t),
    )
