"""Network interfaces: counters from /proc/net/dev and link state from /sys/class/net/<iface>/.

/proc/net/dev has two header lines; the second names the receive and transmit columns
(`face |bytes packets errs drop fifo frame compressed multicast|bytes packets ...`), then one
`iface: <counters>` line per device. The header is parsed rather than assumed so a kernel that adds
a column does not shift every value. On old kernels a large counter can touch the colon
(`eth0:1234`), so the device name is split on the colon, not on whitespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from exporters.node.sources.files import (
    HostPaths,
    list_directory,
    malformed,
    parse_int,
    read_attributes,
    read_text,
)

HEADER_LINES = 2
_COLUMN = re.compile(r"[a-z]+")
#: The /sys/class/net/<iface>/ attributes behind node_network_up, _info, _carrier, _mtu_bytes and
#: _speed_bytes (flags gives adminstate); nothing else is read.
ATTRIBUTES = ("operstate", "flags", "address", "broadcast", "duplex", "ifalias", "carrier", "mtu", "speed")
IFF_UP = 0x1
MEGABIT_BYTES = 1_000_000 // 8


@dataclass(frozen=True)
class NetDevStats:
    device: str
    receive: dict[str, int]
    transmit: dict[str, int]


@dataclass(frozen=True)
class NetClassInfo:
    """What sysfs says about one interface; attributes the kernel refuses to give are None or ""."""

    device: str
    operstate: str
    adminstate: str
    address: str
    broadcast: str
    duplex: str
    ifalias: str
    carrier: int | None
    mtu_bytes: int | None
    speed_bytes: int | None


def read_netdev(paths: HostPaths) -> list[NetDevStats]:
    path = paths.proc("net", "dev")
    return parse_netdev(read_text(path), path)


def parse_netdev(text: str, path: Path) -> list[NetDevStats]:
    lines = text.splitlines()
    if len(lines) < HEADER_LINES or lines[1].count("|") != 2:
        raise malformed(path, "the column header is missing")
    _, receive_header, transmit_header = lines[1].split("|")
    receive_names, transmit_names = receive_header.split(), transmit_header.split()
    for names in (receive_names, transmit_names):
        # Column names become metric names (node_network_receive_<column>_total): only the kernel's
        # lower-case words are acceptable, each once.
        if not all(_COLUMN.fullmatch(name) for name in names) or len(set(names)) != len(names):
            raise malformed(path, f"unexpected column header {lines[1].strip()!r}")
    devices = []
    for line in lines[HEADER_LINES:]:
        if not line.strip():
            continue
        device, sep, counters = line.partition(":")
        values = counters.split()
        if not sep or len(values) != len(receive_names) + len(transmit_names):
            raise malformed(path, f"cannot parse line {line.strip()!r}")
        device = device.strip()
        numbers = [parse_int(value, path, f"a counter of {device}") for value in values]
        split = len(receive_names)
        devices.append(
            NetDevStats(
                device=device,
                receive=dict(zip(receive_names, numbers[:split], strict=True)),
                transmit=dict(zip(transmit_names, numbers[split:], strict=True)),
            )
        )
    return devices


def read_netclass(paths: HostPaths) -> list[NetClassInfo]:
    """One entry per /sys/class/net device; no sysfs (some containers) means no link-state series."""
    root = paths.sys("class", "net")
    if not root.is_dir():
        return []
    interfaces = []
    for entry in list_directory(root):
        attributes = read_attributes(entry, ATTRIBUTES)  # None for a plain file such as bonding_masters
        if attributes is not None:
            interfaces.append(_interface(entry.name, attributes))
    return interfaces


def _interface(device: str, attributes: dict[str, str | None]) -> NetClassInfo:
    def text(name: str) -> str:
        return attributes[name] or ""

    def number(name: str, base: int = 10) -> int | None:
        raw = attributes[name]
        try:
            return int(raw, base) if raw is not None else None
        except ValueError:
            return None

    flags = number("flags", base=16)
    speed_mbps = number("speed")
    return NetClassInfo(
        device=device,
        operstate=text("operstate"),
        adminstate="unknown" if flags is None else ("up" if flags & IFF_UP else "down"),
        address=text("address"),
        broadcast=text("broadcast"),
        duplex=text("duplex"),
        ifalias=text("ifalias"),
        carrier=number("carrier"),
        mtu_bytes=number("mtu"),
        # A link without a negotiated speed reports -1 (or refuses the read); that is "unknown", not 0.
        speed_bytes=speed_mbps * MEGABIT_BYTES if speed_mbps is not None and speed_mbps >= 0 else None,
    )
