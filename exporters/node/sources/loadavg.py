"""/proc/loadavg: `1m 5m 15m running/total last_pid`."""

from __future__ import annotations

from dataclasses import dataclass

from exporters.node.sources.files import HostPaths, malformed, parse_float, read_text


@dataclass(frozen=True)
class LoadAverage:
    one: float
    five: float
    fifteen: float


def read_loadavg(paths: HostPaths) -> LoadAverage:
    path = paths.proc("loadavg")
    tokens = read_text(path).split()
    if len(tokens) < 3:
        raise malformed(path, f"expected three load averages, found {len(tokens)} fields")
    one, five, fifteen = (
        parse_float(token, path, f"the {window} load average")
        for window, token in zip(("1m", "5m", "15m"), tokens, strict=False)
    )
    return LoadAverage(one=one, five=five, fifteen=fifteen)
