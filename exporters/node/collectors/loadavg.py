"""loadavg: the 1, 5 and 15 minute load averages.

node_load1 0.14
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from exporters.base import Source
from exporters.node.sources.files import HostPaths
from exporters.node.sources.loadavg import read_loadavg


class LoadavgCollector(Source):
    name = "loadavg"

    def __init__(self, paths: HostPaths) -> None:
        self._paths = paths

    def collect(self) -> Iterator[Metric]:
        load = read_loadavg(self._paths)
        for metric, window, value in (
            ("node_load1", "1 minute", load.one),
            ("node_load5", "5 minute", load.five),
            ("node_load15", "15 minute", load.fifteen),
        ):
            yield GaugeMetricFamily(
                metric, f"{window} load average: runnable plus uninterruptible tasks, decayed.", value=value
            )
