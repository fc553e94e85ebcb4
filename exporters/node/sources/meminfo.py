"""/proc/meminfo: `Field:   <value> kB` lines (sizes) and a few unitless counts (HugePages_*)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from exporters.node.sources.files import HostPaths, malformed, parse_int, read_text

_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_]")


@dataclass(frozen=True)
class MemInfoField:
    """One meminfo line; `name` is already in node_exporter's spelling (Active(anon) -> Active_anon)."""

    name: str
    value: int
    is_bytes: bool


def read_meminfo(paths: HostPaths) -> list[MemInfoField]:
    path = paths.proc("meminfo")
    return parse_meminfo(read_text(path), path)


def parse_meminfo(text: str, path: Path) -> list[MemInfoField]:
    fields = []
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, rest = line.partition(":")
        tokens = rest.split()
        if not sep or not tokens or len(tokens) > 2 or (len(tokens) == 2 and tokens[1] != "kB"):
            raise malformed(path, f"cannot parse line {line.strip()!r}")
        value = parse_int(tokens[0], path, key)
        is_bytes = len(tokens) == 2
        fields.append(
            MemInfoField(name=_metric_safe(key), value=value * 1024 if is_bytes else value, is_bytes=is_bytes)
        )
    if not fields:
        raise malformed(path, "the file is empty")
    return fields


def _metric_safe(key: str) -> str:
    return _INVALID_NAME_CHARS.sub("_", key.strip().replace("(", "_").replace(")", ""))
