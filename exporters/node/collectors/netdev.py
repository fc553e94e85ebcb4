"""netdev: traffic counters per interface from /proc/net/dev, and link state from /sys/class/net.

    node_network_receive_bytes_total{device="eth0"} 3.36705663e+08
    node_network_up{device="eth0"} 1.0
    node_network_info{address="...",adminstate="up",broadcast="...",device="eth0",duplex="full",
                      ifalias="",operstate="up"} 1.0

node_exporter splits these into its netdev and netclass collectors; here both belong to the source
"netdev" so one switch and one up series cover an interface.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporters.base import Source
from exporters.node.config import matches
from exporters.node.sources.files import HostPaths
from exporters.node.sources.netdev import NetClassInfo, read_netclass, read_netdev

INFO_LABELS = ("address", "adminstate", "broadcast", "duplex", "ifalias", "operstate")


class NetdevCollector(Source):
    name = "netdev"

    def __init__(self, paths: HostPaths, device_exclude: re.Pattern[str] | None) -> None:
        self._paths = paths
        self._device_exclude = device_exclude

    def collect(self) -> Iterator[Metric]:
        families: dict[str, CounterMetricFamily] = {}
        for stats in read_netdev(self._paths):
            if matches(self._device_exclude, stats.device):
                continue
            for direction, counters in (("receive", stats.receive), ("transmit", stats.transmit)):
                for field, value in counters.items():
                    metric = f"node_network_{direction}_{field}_total"
                    if metric not in families:
                        families[metric] = CounterMetricFamily(
                            metric,
                            f"Interface statistic {direction} {field} from /proc/net/dev.",
                            labels=["device"],
                        )
                    families[metric].add_metric([stats.device], value)
        yield from families.values()
        yield from self._link_state(
            [info for info in read_netclass(self._paths) if not matches(self._device_exclude, info.device)]
        )

    @staticmethod
    def _link_state(interfaces: list[NetClassInfo]) -> Iterator[Metric]:
        if not interfaces:
            return
        up = GaugeMetricFamily(
            "node_network_up", "1 when the interface's operstate is up, else 0.", labels=["device"]
        )
        info = GaugeMetricFamily(
            "node_network_info",
            "Descriptive attributes of the interface from /sys/class/net; the value is always 1.",
            labels=["device", *INFO_LABELS],
        )
        numbers = {
            "carrier": GaugeMetricFamily(
                "node_network_carrier", "1 when the interface has a physical link, else 0.", labels=["device"]
            ),
            "mtu_bytes": GaugeMetricFamily(
                "node_network_mtu_bytes",
                "Maximum transmission unit of the interface in bytes.",
                labels=["device"],
            ),
            "speed_bytes": GaugeMetricFamily(
                "node_network_speed_bytes", "Negotiated link speed in bytes per second.", labels=["device"]
            ),
        }
        for interface in interfaces:
            up.add_metric([interface.device], 1 if interface.operstate == "up" else 0)
            info.add_metric([interface.device, *(getattr(interface, label) for label in INFO_LABELS)], 1)
            for attribute, family in numbers.items():
                value = getattr(interface, attribute)
                if value is not None:
                    family.add_metric([interface.device], value)
        yield up
        yield info
        yield from (family for family in numbers.values() if family.samples)
