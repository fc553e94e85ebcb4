"""hwmon: temperatures, voltages, currents, power and fan speeds of hardware monitoring chips.

    node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"} 45.0
    node_hwmon_temp_crit_celsius{chip="platform_coretemp_0",sensor="temp1"} 100.0
    node_hwmon_chip_names{chip="platform_coretemp_0",chip_name="coretemp"} 1.0
    node_hwmon_sensor_label{chip="platform_coretemp_0",label="Package id 0",sensor="temp1"} 1.0

Names follow node_exporter: node_hwmon_<type>[_<property>]_<unit>, the `input` property unnamed.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from exporters.base import Source
from exporters.node.sources.files import HostPaths
from exporters.node.sources.hwmon import read_hwmon

# sensor type -> (metric unit suffix, what it measures, unit in words)
KINDS = {
    "temp": ("celsius", "Temperature", "degrees Celsius"),
    "in": ("volts", "Voltage", "volts"),
    "curr": ("amps", "Current", "amperes"),
    "power": ("watt", "Power", "watts"),
    "fan": ("rpm", "Fan speed", "revolutions per minute"),
}
SENSOR_LABELS = ["chip", "sensor"]


def metric_name(kind: str, prop: str) -> str:
    unit = KINDS[kind][0]
    return f"node_hwmon_{kind}_{unit}" if prop == "input" else f"node_hwmon_{kind}_{prop}_{unit}"


class HwmonCollector(Source):
    """A host without /sys/class/hwmon (most VMs) yields nothing and still counts as up."""

    name = "hwmon"

    def __init__(self, paths: HostPaths) -> None:
        self._paths = paths

    def collect(self) -> Iterator[Metric]:
        chips = read_hwmon(self._paths)
        names = GaugeMetricFamily(
            "node_hwmon_chip_names",
            "Human-readable driver name of each chip; always 1.",
            labels=["chip", "chip_name"],
        )
        labels = GaugeMetricFamily(
            "node_hwmon_sensor_label",
            "Label the driver gives a sensor; always 1.",
            labels=[*SENSOR_LABELS, "label"],
        )
        readings: dict[str, GaugeMetricFamily] = {}
        for chip in chips:
            if chip.chip_name:
                names.add_metric([chip.chip, chip.chip_name], 1)
            for sensor in chip.sensors:
                if sensor.label:
                    labels.add_metric([chip.chip, sensor.sensor, sensor.label], 1)
                for prop, value in sensor.values.items():
                    metric = metric_name(sensor.kind, prop)
                    if metric not in readings:
                        _, what, unit = KINDS[sensor.kind]
                        qualifier = "" if prop == "input" else f" ({prop})"
                        readings[metric] = GaugeMetricFamily(
                            metric,
                            f"{what}{qualifier} from a hardware monitor sensor, in {unit}.",
                            labels=SENSOR_LABELS,
                        )
                    readings[metric].add_metric([chip.chip, sensor.sensor], value)
        yield from (family for family in (names, labels) if family.samples)
        yield from readings.values()
