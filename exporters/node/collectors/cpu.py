"""cpu: time per CPU and mode, CPU identity and clock frequency, under node_exporter's names.

node_cpu_seconds_total{cpu="0",mode="user"} 46.91
node_cpu_guest_seconds_total{cpu="0",mode="user"} 0.0
node_cpu_info{cachesize="512 KB",core="0",cpu="0",family="23",...,vendor="AuthenticAMD"} 1.0
node_cpu_scaling_frequency_hertz{cpu="0"} 2.1e+09
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporters.base import Source
from exporters.node.sources.cpu import CPUINFO_LABELS, read_cpu_frequencies, read_cpuinfo
from exporters.node.sources.files import HostPaths
from exporters.node.sources.stat import read_cpu_times

FREQUENCY_METRICS = {
    "cpuinfo_cur_freq": (
        "node_cpu_frequency_hertz",
        "Current CPU frequency reported by the hardware, in hertz.",
    ),
    "cpuinfo_min_freq": ("node_cpu_frequency_min_hertz", "Lowest frequency the CPU supports, in hertz."),
    "cpuinfo_max_freq": ("node_cpu_frequency_max_hertz", "Highest frequency the CPU supports, in hertz."),
    "scaling_cur_freq": (
        "node_cpu_scaling_frequency_hertz",
        "Current CPU frequency as seen by the cpufreq governor, in hertz.",
    ),
    "scaling_min_freq": (
        "node_cpu_scaling_frequency_min_hertz",
        "Lowest frequency the governor may pick, in hertz.",
    ),
    "scaling_max_freq": (
        "node_cpu_scaling_frequency_max_hertz",
        "Highest frequency the governor may pick, in hertz.",
    ),
}


class CpuCollector(Source):
    """/proc/stat is required; /proc/cpuinfo and cpufreq add series where the host has them."""

    name = "cpu"

    def __init__(self, paths: HostPaths) -> None:
        self._paths = paths

    def collect(self) -> Iterator[Metric]:
        seconds = CounterMetricFamily(
            "node_cpu_seconds_total", "Seconds each logical CPU spent in each mode.", labels=["cpu", "mode"]
        )
        guest = CounterMetricFamily(
            "node_cpu_guest_seconds_total",
            "Seconds each logical CPU spent running guests (VMs), also counted in the user and nice modes.",
            labels=["cpu", "mode"],
        )
        for cpu in read_cpu_times(self._paths):
            for mode, value in cpu.seconds.items():
                seconds.add_metric([cpu.cpu, mode], value)
            for mode, value in cpu.guest_seconds.items():
                guest.add_metric([cpu.cpu, mode], value)
        yield seconds
        if guest.samples:
            yield guest
        yield from self._info()
        yield from self._frequencies()

    def _info(self) -> Iterator[Metric]:
        infos = read_cpuinfo(self._paths)
        if not infos:
            return
        labels = ["cpu", *CPUINFO_LABELS]
        family = GaugeMetricFamily(
            "node_cpu_info",
            "Identity of each logical CPU from /proc/cpuinfo; the value is always 1.",
            labels=labels,
        )
        for info in infos:
            family.add_metric([info.cpu, *(info.labels[label] for label in CPUINFO_LABELS)], 1)
        yield family

    def _frequencies(self) -> Iterator[Metric]:
        frequencies = read_cpu_frequencies(self._paths)
        for attribute, (metric, documentation) in FREQUENCY_METRICS.items():
            family = GaugeMetricFamily(metric, documentation, labels=["cpu"])
            for cpu in frequencies:
                if attribute in cpu.hertz:
                    family.add_metric([cpu.cpu], cpu.hertz[attribute])
            if family.samples:
                yield family
