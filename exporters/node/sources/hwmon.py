"""Hardware sensors from /sys/class/hwmon/hwmonN (Documentation/hwmon/sysfs-interface.rst).

Each chip directory has `name` and sensor attributes `<type><index>_<property>`: temperatures and
voltages/currents in milli-units, power in microwatts, fans in RPM, plus `<type><index>_label`.
Drivers of older kernels (3.10's coretemp, for one) keep the attributes in the parent device
directory (`hwmonN/device/`), so both are read. Sensors that are present but unplugged answer reads
with an error; that reading is skipped.

The chip label follows node_exporter so existing dashboards match: from the `device` link's target,
`<parent dir>_<device dir>` cleaned to [a-z0-9:_] (platform/coretemp.0 -> platform_coretemp_0,
pci0000:00/0000:00:18.3 -> pci0000:00_0000:00:18_3, nvme/nvme0 -> nvme_nvme0), else the `name`
attribute, else the directory's own name.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from exporters.node.sources.files import HostPaths, list_directory, read_optional

# Properties given in the sensor type's measured unit (alarms, types and intervals are not).
MEASURED_PROPERTIES = {
    "temp": ("input", "min", "max", "crit", "lcrit", "crit_hyst", "max_hyst", "emergency"),
    "in": ("input", "min", "max", "lcrit", "crit"),
    "curr": ("input", "min", "max", "crit"),
    "power": ("input", "average", "cap", "max", "crit"),
    "fan": ("input", "min", "max", "target"),
}
# sysfs units per base unit; dividing (not multiplying by 0.001) keeps 84850 as 84.85, not 84.85000000000001.
SYSFS_UNITS_PER_BASE_UNIT = {"temp": 1000, "in": 1000, "curr": 1000, "power": 1_000_000, "fan": 1}

_SENSOR_FILE = re.compile(r"^(temp|in|curr|power|fan)([0-9]+)_([a-z_]+)$")
_INVALID_CHARS = re.compile(r"[^a-z0-9:_]")
_TRAILING_NUMBER = re.compile(r"([0-9]+)$")
_INTEGER = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class HwmonSensor:
    """One sensor (`temp1`); `values` maps property -> reading in base units (celsius, volts, ...)."""

    sensor: str
    kind: str
    label: str | None
    values: dict[str, float]


@dataclass(frozen=True)
class HwmonChip:
    chip: str
    chip_name: str | None
    sensors: list[HwmonSensor]


def read_hwmon(paths: HostPaths) -> list[HwmonChip]:
    """All chips, sorted; a machine without hwmon (most VMs) has none, which is not an error."""
    root = paths.sys("class", "hwmon")
    if not root.is_dir():
        return []
    chips: dict[str, HwmonChip] = {}
    for directory in sorted(list_directory(root), key=_natural_key):
        chip = _read_chip(directory)
        chips.setdefault(chip.chip, chip)  # two directories resolving to one device: keep the first
    return list(chips.values())


def _read_chip(directory: Path) -> HwmonChip:
    attributes: dict[tuple[str, int], dict[str, str]] = {}
    for source in (directory, directory / "device"):
        if source.is_dir():
            _collect_attributes(source, attributes)
    sensors = []
    for (kind, index), properties in sorted(attributes.items()):
        values = {
            prop: int(raw) / SYSFS_UNITS_PER_BASE_UNIT[kind]
            for prop in MEASURED_PROPERTIES[kind]
            if (raw := properties.get(prop)) is not None and _is_integer(raw)
        }
        label = properties.get("label")
        if values or label:
            sensors.append(HwmonSensor(sensor=f"{kind}{index}", kind=kind, label=label, values=values))
    name = read_optional(directory / "name") or read_optional(directory / "device" / "name")
    return HwmonChip(chip=chip_label(directory), chip_name=clean(name) if name else None, sensors=sensors)


def _collect_attributes(directory: Path, attributes: dict[tuple[str, int], dict[str, str]]) -> None:
    for entry in list_directory(directory):
        match = _SENSOR_FILE.match(entry.name)
        if not match:
            continue
        kind, index, prop = match.groups()
        value = read_optional(entry)
        if value is not None:
            attributes.setdefault((kind, int(index)), {})[prop] = value


def chip_label(directory: Path) -> str:
    device = directory / "device"
    if device.exists():
        target = Path(os.path.realpath(device))
        parent, name = clean(target.parent.name), clean(target.name)
        if parent and name:
            return f"{parent}_{name}"
        if name:
            return name
    name = read_optional(directory / "name")
    if name and clean(name):
        return clean(name)
    return clean(Path(os.path.realpath(directory)).name)


def clean(text: str) -> str:
    return _INVALID_CHARS.sub("_", text.strip().lower()).strip("_")


def _is_integer(raw: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts superscripts such as '¹', which int() refuses."""
    return _INTEGER.fullmatch(raw) is not None


def _natural_key(path: Path) -> tuple[str, int]:
    """hwmon2 before hwmon10."""
    match = _TRAILING_NUMBER.search(path.name)
    return (path.name[: match.start()], int(match.group(1))) if match else (path.name, -1)
