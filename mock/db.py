"""The mock database: connection helpers, the shared clock state, and the seed snapshot.

One SQLite file holds both the seeded world (hosts, disks, ...; written once by ``llmon-mock seed``)
and the live control state (table mock_state: active scenario and clock; table mock_history: the
scenarios played before the current one, which keep counters monotonic across switches). Every twin
opens it read-mostly, the CLI and the control API write the two control tables.

Writers take ``BEGIN IMMEDIATE`` so a read-modify-write of the clock never interleaves with another
writer; readers never block writers for long because each tick reads a handful of rows.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from mock.clock import ClockState
from mock.errors import DatabaseError, UnknownHostError

SCHEMA_VERSION = "1"  # bump with any change to mock/seed/schema.sql that old files cannot satisfy
BUSY_TIMEOUT_S = 5.0  # how long a reader or writer waits for another writer's lock
DEFAULT_DB = Path("var/mock.db")


# --- connections ---------------------------------------------------------------------------------


def connect(path: Path) -> sqlite3.Connection:
    """Open an existing mock database for reading and writing; never creates one."""
    if not path.exists():
        raise DatabaseError(f"database '{path}' not found (create it with: llmon-mock seed --out {path})")
    if not path.is_file():
        raise DatabaseError(f"database '{path}' is not a file")
    uri = f"file:{quote(str(path.resolve()))}?mode=rw"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open database '{path}' ({exc})") from None
    try:
        conn.execute("SELECT 1 FROM mock_state LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise DatabaseError(f"database '{path}' is not a usable llmon mock database ({exc})") from None
    return conn


@contextmanager
def open_db(path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(path)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that holds the write lock from its first statement.

    SQLite failures inside it (locked, file replaced, malformed) become DatabaseError.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot update the mock database ({exc})") from None


def read_rows(
    conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = (), *, what: str = "the mock database"
) -> list[sqlite3.Row]:
    """Run a read query, turning SQLite failures (file replaced, malformed) into DatabaseError.

    ``what`` names the part read in that error, so a twin can say which of its tables failed.
    """
    try:
        cur = conn.execute(sql, params)
        cur.row_factory = sqlite3.Row
        return cur.fetchall()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot read {what} ({exc})") from None


# --- clock state ---------------------------------------------------------------------------------


def read_clock(conn: sqlite3.Connection) -> ClockState:
    rows = read_rows(
        conn,
        "SELECT scenario, generation, paused, speed, started_at, offset_s, origin_wall "
        "FROM mock_state WHERE id = 1",
    )
    if not rows:
        raise DatabaseError("the mock database has no clock row (table mock_state is empty)")
    row = rows[0]
    return ClockState(
        scenario=row["scenario"],
        generation=row["generation"],
        paused=bool(row["paused"]),
        speed=row["speed"],
        started_at=row["started_at"],
        offset_s=row["offset_s"],
        origin_wall=row["origin_wall"],
    )


def _write_clock(conn: sqlite3.Connection, state: ClockState) -> None:
    conn.execute(
        "UPDATE mock_state SET scenario = ?, generation = ?, paused = ?, speed = ?, started_at = ?, "
        "offset_s = ?, origin_wall = ? WHERE id = 1",
        (
            state.scenario,
            state.generation,
            int(state.paused),
            state.speed,
            state.started_at,
            state.offset_s,
            state.origin_wall,
        ),
    )


def update_clock(conn: sqlite3.Connection, change: Callable[[ClockState], ClockState]) -> ClockState:
    """Apply ``change`` to the stored clock atomically and return the new state."""
    with immediate(conn):
        new = change(read_clock(conn))
        _write_clock(conn, new)
    return new


def current_clock(conn: sqlite3.Connection, now: float) -> ClockState:
    """The clock, started on first use (a fresh seed has no wall-clock time in it)."""
    state = read_clock(conn)
    if state.started(now) == state:
        return state
    return update_clock(conn, lambda s: s.started(now))


def switch_scenario(conn: sqlite3.Connection, scenario: str, now: float) -> ClockState:
    """Make ``scenario`` active from t=0, recording how long the previous one ran."""
    with immediate(conn):
        old = read_clock(conn).started(now)
        conn.execute(
            "INSERT INTO mock_history (scenario, duration_s) VALUES (?, ?)", (old.scenario, old.t(now))
        )
        new = old.switched_to(scenario, now)
        _write_clock(conn, new)
    return new


def read_history(conn: sqlite3.Connection) -> list[tuple[str, float]]:
    """Scenarios played before the current one, oldest first, with their durations."""
    return [
        (row["scenario"], row["duration_s"])
        for row in read_rows(conn, "SELECT scenario, duration_s FROM mock_history ORDER BY seq")
    ]


# --- seed snapshot -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuSeed:
    cpu: int
    physical_id: int
    core_id: int
    apicid: int


@dataclass(frozen=True)
class DiskSeed:
    name: str
    major: int
    minor: int
    parent: str | None  # the whole disk a partition belongs to
    model: str
    serial: str
    size_bytes: int
    io_share: float  # of the host's I/O (whole disks) or of the parent's I/O (partitions)
    latency_ms: float  # per read; writes take 0.6 of it (they land in the drive's cache)
    merge_ratio: float


@dataclass(frozen=True)
class NicSeed:
    name: str
    kind: str  # loopback | ether | bridge
    mac: str
    mtu: int
    speed_mbps: int | None  # None where the kernel answers EINVAL (lo, bridges)
    operstate: str
    rx_share: float
    tx_share: float
    rx_packet_bytes: float
    tx_packet_bytes: float
    base_rate_bytes: float  # traffic that does not follow the scenario (loopback scrapes, ...)


@dataclass(frozen=True)
class FilesystemSeed:
    position: int
    mountpoint: str
    device: str
    fstype: str
    options: str
    size_bytes: int
    block_size: int
    reserved_ratio: float  # blocks only root may use (ext4 reserves 5%): f_bfree - f_bavail
    used_ratio: float  # at scenario start
    files: int
    files_used: int
    avg_file_bytes: int
    readonly: bool


@dataclass(frozen=True)
class SensorSeed:
    chip: int  # N in /sys/class/hwmon/hwmonN
    chip_name: str
    device: str  # relative to /sys: devices/platform/coretemp.0, .../nvme/nvme0
    temp: int  # N in tempN_input
    label: str | None
    kind: str  # cpu | nvme | board
    offset_c: float
    max_c: float | None
    crit_c: float | None
    min_c: float | None


@dataclass(frozen=True)
class HostSeed:
    id: int
    hostname: str
    domain: str
    machine_id: str
    os_release: str
    kernel_release: str
    kernel_version: str
    arch: str
    cpu_vendor: str
    cpu_family: int
    cpu_model: int
    cpu_model_name: str
    cpu_stepping: int
    cpu_microcode: str
    cpu_mhz: float
    cpu_cache_kb: int
    cpu_cpuid_level: int
    cpu_bogomips: float
    cpu_flags: str
    cpu_bugs: str
    cpu_power_management: str
    cpu_tlb_size: int | None
    cpu_address_bits_physical: int
    cpu_address_bits_virtual: int
    cores_per_socket: int
    mem_total_kb: int
    swap_total_kb: int
    uptime_s: float
    tasks_base: int
    pid_base: int
    nr_irqs: int
    ctxt_per_cpu_idle: float
    ctxt_per_cpu_busy: float
    intr_per_cpu_idle: float
    intr_per_cpu_busy: float
    forks_idle: float
    forks_busy: float
    cpus: tuple[CpuSeed, ...]
    disks: tuple[DiskSeed, ...]
    nics: tuple[NicSeed, ...]
    filesystems: tuple[FilesystemSeed, ...]
    sensors: tuple[SensorSeed, ...]


@dataclass(frozen=True)
class SeedSnapshot:
    seed: int
    hosts: tuple[HostSeed, ...]

    def host(self, host_id: int) -> HostSeed:
        for host in self.hosts:
            if host.id == host_id:
                return host
        raise UnknownHostError(str(host_id), [str(h.id) for h in self.hosts])

    def host_named(self, hostname: str) -> HostSeed:
        for host in self.hosts:
            if host.hostname == hostname:
                return host
        raise UnknownHostError(hostname, [h.hostname for h in self.hosts])


def _rows_by_host(conn: sqlite3.Connection, table: str, order: str) -> dict[int, list[sqlite3.Row]]:
    grouped: dict[int, list[sqlite3.Row]] = {}
    for row in read_rows(conn, f"SELECT * FROM {table} ORDER BY host_id, {order}"):
        grouped.setdefault(row["host_id"], []).append(row)
    return grouped


_Seed = TypeVar("_Seed")


def _build(cls: type[_Seed], row: sqlite3.Row, **overrides: object) -> _Seed:
    """A seed dataclass from the row's columns of the same names (extra columns are ignored)."""
    columns = set(row.keys())
    names = [f.name for f in dataclasses.fields(cls) if f.name in columns and f.name not in overrides]
    return cls(**{name: row[name] for name in names}, **overrides)


def load_snapshot(conn: sqlite3.Connection) -> SeedSnapshot:
    """Everything the engine needs from the seed, as immutable values."""
    meta = {row["key"]: row["value"] for row in read_rows(conn, "SELECT key, value FROM meta")}
    if "seed" not in meta:
        raise DatabaseError("the mock database has no seed (table meta lacks 'seed')")
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise DatabaseError(
            f"the mock database has schema version {meta.get('schema_version')!r}, this llmon needs "
            f"{SCHEMA_VERSION!r}: seed it again (llmon-mock seed)"
        )
    cpus = _rows_by_host(conn, "cpus", "cpu")
    disks = _rows_by_host(conn, "disks", "major, minor")
    nics = _rows_by_host(conn, "nics", "position")
    filesystems = _rows_by_host(conn, "filesystems", "position")
    sensors = _rows_by_host(conn, "hwmon_sensors", "chip, temp")
    hosts = []
    for row in read_rows(conn, "SELECT * FROM hosts ORDER BY id"):
        host_id = row["id"]
        hosts.append(
            _build(
                HostSeed,
                row,
                cpus=tuple(_build(CpuSeed, r) for r in cpus.get(host_id, [])),
                disks=tuple(_build(DiskSeed, r) for r in disks.get(host_id, [])),
                nics=tuple(_build(NicSeed, r) for r in nics.get(host_id, [])),
                filesystems=tuple(
                    _build(FilesystemSeed, r, readonly=bool(r["readonly"]))
                    for r in filesystems.get(host_id, [])
                ),
                sensors=tuple(_build(SensorSeed, r) for r in sensors.get(host_id, [])),
            )
        )
    return SeedSnapshot(seed=int(meta["seed"]), hosts=tuple(hosts))
