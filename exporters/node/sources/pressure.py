"""/proc/pressure/{cpu,io,memory,irq}: pressure stall information (PSI, Linux >= 4.20).

Each file has a `some` line (at least one task stalled) and/or a `full` line (all non-idle tasks
stalled), each ending in `total=<microseconds>`. cpu has only `some` before 5.13, irq (6.1+, needs
CONFIG_IRQ_TIME_ACCOUNTING) only `full`. A kernel built without PSI has no /proc/pressure; one booted
with psi=0 has the files but refuses reads with EOPNOTSUPP.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

from exporters.base import CollectError
from exporters.node.sources.files import HostPaths, malformed, parse_int, read_error

RESOURCES = ("cpu", "io", "memory", "irq")
MICROSECONDS = 1_000_000


@dataclass(frozen=True)
class Pressure:
    """Cumulative stall seconds of one resource; None where the kernel has no such line."""

    resource: str
    some_seconds: float | None
    full_seconds: float | None


def read_pressure(paths: HostPaths) -> list[Pressure]:
    directory = paths.proc("pressure")
    if not directory.is_dir():
        raise CollectError(
            "unsupported", f"{directory} does not exist: the kernel has no pressure stall information (PSI)."
        )
    pressures = []
    for resource in RESOURCES:
        path = paths.proc("pressure", resource)
        text = _read_psi_file(path)
        if text is not None:
            pressures.append(parse_pressure(resource, text, path))
    return pressures


def _read_psi_file(path: Path) -> str | None:
    """The file's text, or None when this kernel has no such resource (irq before 6.1)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.EOPNOTSUPP:
            raise CollectError("unsupported", f"{path} refuses reads: PSI is disabled (psi=0).") from None
        raise read_error(path, exc) from None


def parse_pressure(resource: str, text: str, path: Path) -> Pressure:
    totals: dict[str, float] = {}
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        if kind not in ("some", "full"):
            continue
        fields = dict(item.partition("=")[::2] for item in rest.split())
        if "total" not in fields:
            raise malformed(path, f"the {kind} line has no total=")
        totals[kind] = parse_int(fields["total"], path, f"{kind} total") / MICROSECONDS
    if not totals:
        raise malformed(path, "no some or full line")
    return Pressure(resource=resource, some_seconds=totals.get("some"), full_seconds=totals.get("full"))
