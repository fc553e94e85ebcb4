"""uname: the kernel's identity as one info series.

node_uname_info{domainname="(none)",machine="x86_64",nodename="vm",release="6.18.44",
                sysname="Linux",version="#1 SMP PREEMPT_DYNAMIC"} 1.0
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import astuple, fields

from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from exporters.base import Source
from exporters.node.sources.files import HostPaths
from exporters.node.sources.uname import Uname, read_uname


class UnameCollector(Source):
    name = "uname"

    def __init__(self, paths: HostPaths, machine_fallback: Callable[[], str]) -> None:
        self._paths = paths
        self._machine_fallback = machine_fallback

    def collect(self) -> Iterator[Metric]:
        uname = read_uname(self._paths, self._machine_fallback)
        family = GaugeMetricFamily(
            "node_uname_info",
            "Kernel name, release, version, architecture and host names as uname(2) reports them; always 1.",
            labels=[field.name for field in fields(Uname)],
        )
        family.add_metric(list(astuple(uname)), 1)
        yield family
