"""Kernel identity from /proc/sys/kernel/*, the same strings uname(2) returns.

Reading them under --path.procfs (rather than calling uname()) lets a container report its host and
lets fixtures and the node twin decide what is reported. The machine (architecture) has a sysctl only
on recent kernels (/proc/sys/kernel/arch); elsewhere it comes from the running interpreter's uname,
which is the host's architecture even inside a container.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from exporters.node.sources.files import HostPaths, read_optional, read_text


@dataclass(frozen=True)
class Uname:
    sysname: str
    release: str
    version: str
    machine: str
    nodename: str
    domainname: str


def read_uname(paths: HostPaths, machine_fallback: Callable[[], str]) -> Uname:
    def kernel(name: str) -> str:
        return read_text(paths.proc("sys", "kernel", name)).strip()

    return Uname(
        sysname=kernel("ostype"),
        release=kernel("osrelease"),
        version=kernel("version"),
        machine=read_optional(paths.proc("sys", "kernel", "arch")) or machine_fallback(),
        nodename=kernel("hostname"),
        domainname=kernel("domainname"),
    )
