"""meminfo: every /proc/meminfo field as a gauge, named as node_exporter names them.

node_memory_MemAvailable_bytes 2.4836280320e+10
node_memory_Active_anon_bytes 1.59744e+06
node_memory_HugePages_Total 0.0
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from exporters.base import Source
from exporters.node.sources.files import HostPaths
from exporters.node.sources.meminfo import read_meminfo


class MeminfoCollector(Source):
    """Sizes (kB in the file) become `_bytes`; unitless counts such as HugePages_Total keep their name."""

    name = "meminfo"

    def __init__(self, paths: HostPaths) -> None:
        self._paths = paths

    def collect(self) -> Iterator[Metric]:
        seen = set()
        for field in read_meminfo(self._paths):
            metric = f"node_memory_{field.name}_bytes" if field.is_bytes else f"node_memory_{field.name}"
            if metric in seen:  # a kernel repeating a field must not produce a duplicate family
                continue
            seen.add(metric)
            unit = ", in bytes" if field.is_bytes else ""
            yield GaugeMetricFamily(metric, f"Field {field.name} of /proc/meminfo{unit}.", value=field.value)
