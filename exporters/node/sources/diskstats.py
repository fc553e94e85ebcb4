"""/proc/diskstats: per block device I/O counters (Documentation/admin-guide/iostats.rst).

`major minor name` followed by 11 counters (every kernel since 2.6), 4 discard counters (4.18+) and
2 flush counters (5.5+): 14, 18 or 20 fields per line. Sectors are always 512 bytes here regardless
of the device's block size; times are milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from exporters.node.sources.files import HostPaths, malformed, parse_int, read_text

SECTOR_BYTES = 512
MILLISECONDS = 1000.0
BASE_FIELDS, DISCARD_FIELDS, FLUSH_FIELDS = 14, 18, 20


@dataclass(frozen=True)
class DiscardStats:
    completed: int
    merged: int
    sectors: int
    time_seconds: float


@dataclass(frozen=True)
class FlushStats:
    completed: int
    time_seconds: float


@dataclass(frozen=True)
class DiskStats:
    device: str
    reads_completed: int
    reads_merged: int
    read_bytes: int
    read_time_seconds: float
    writes_completed: int
    writes_merged: int
    written_bytes: int
    write_time_seconds: float
    io_now: int
    io_time_seconds: float
    io_time_weighted_seconds: float
    discards: DiscardStats | None
    flushes: FlushStats | None


def read_diskstats(paths: HostPaths) -> list[DiskStats]:
    path = paths.proc("diskstats")
    return parse_diskstats(read_text(path), path)


def parse_diskstats(text: str, path: Path) -> list[DiskStats]:
    disks = []
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        if len(fields) < BASE_FIELDS:
            raise malformed(
                path, f"device line {line.strip()!r} has {len(fields)} fields, expected 14, 18 or 20"
            )
        device = fields[2]
        n = [parse_int(token, path, f"a counter of {device}") for token in fields[3:]]
        disks.append(
            DiskStats(
                device=device,
                reads_completed=n[0],
                reads_merged=n[1],
                read_bytes=n[2] * SECTOR_BYTES,
                read_time_seconds=n[3] / MILLISECONDS,
                writes_completed=n[4],
                writes_merged=n[5],
                written_bytes=n[6] * SECTOR_BYTES,
                write_time_seconds=n[7] / MILLISECONDS,
                io_now=n[8],
                io_time_seconds=n[9] / MILLISECONDS,
                io_time_weighted_seconds=n[10] / MILLISECONDS,
                discards=DiscardStats(n[11], n[12], n[13], n[14] / MILLISECONDS)
                if len(fields) >= DISCARD_FIELDS
                else None,
                flushes=FlushStats(n[15], n[16] / MILLISECONDS) if len(fields) >= FLUSH_FIELDS else None,
            )
        )
    return disks
