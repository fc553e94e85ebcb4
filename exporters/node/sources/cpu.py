"""CPU identity from /proc/cpuinfo and clock frequencies from sysfs cpufreq.

/proc/cpuinfo is a list of blank-line separated blocks of `key<TAB>: value`, one per logical CPU.
cpufreq attributes live in /sys/devices/system/cpu/cpuN/cpufreq/ as integers in kHz; virtual machines
and containers often have no cpufreq directory at all, which simply means no frequency series.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exporters.node.sources.files import HostPaths, list_directory, read_attributes, read_error, read_file

# node_exporter's node_cpu_info label -> the /proc/cpuinfo key it comes from.
CPUINFO_LABELS = {
    "package": "physical id",
    "core": "core id",
    "vendor": "vendor_id",
    "family": "cpu family",
    "model": "model",
    "model_name": "model name",
    "microcode": "microcode",
    "stepping": "stepping",
    "cachesize": "cache size",
}

# The cpufreq attributes exported, all integers in kHz (cpuinfo_* is the hardware, scaling_* the governor).
CPUFREQ_FILES = (
    "cpuinfo_cur_freq",
    "cpuinfo_min_freq",
    "cpuinfo_max_freq",
    "scaling_cur_freq",
    "scaling_min_freq",
    "scaling_max_freq",
)

_CPU_DIR = re.compile(r"^cpu(\d+)$")


@dataclass(frozen=True)
class CpuInfo:
    """One logical CPU's identity; `labels` holds node_cpu_info's labels other than `cpu`."""

    cpu: str
    labels: dict[str, str]


@dataclass(frozen=True)
class CpuFrequency:
    """Frequencies in hertz by cpufreq attribute name; attributes the kernel withholds are absent."""

    cpu: str
    hertz: dict[str, float]


def read_cpuinfo(paths: HostPaths) -> list[CpuInfo]:
    """Parse /proc/cpuinfo; a tree without the file (a minimal twin) has no CPU identity to report."""
    path = paths.proc("cpuinfo")
    try:
        text = read_file(path)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise read_error(path, exc) from None
    return parse_cpuinfo(text)


def parse_cpuinfo(text: str) -> list[CpuInfo]:
    infos = []
    for block in re.split(r"\n\s*\n", text):
        fields = {}
        for line in block.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        processor = fields.get("processor", "")
        if processor.isdecimal():
            labels = {label: fields.get(key, "") for label, key in CPUINFO_LABELS.items()}
            infos.append(CpuInfo(cpu=processor, labels=labels))
    return infos


def read_cpu_frequencies(paths: HostPaths) -> list[CpuFrequency]:
    cpu_root = paths.sys("devices", "system", "cpu")
    if not cpu_root.is_dir():
        return []
    numbers = sorted(
        int(m.group(1)) for entry in list_directory(cpu_root) if (m := _CPU_DIR.match(entry.name))
    )
    frequencies = []
    for number in numbers:
        cpufreq = paths.sys("devices", "system", "cpu", f"cpu{number}", "cpufreq")
        attributes = read_attributes(cpufreq, CPUFREQ_FILES) or {}
        hertz = {
            name: int(raw) * 1000.0 for name, raw in attributes.items() if raw is not None and raw.isdecimal()
        }
        if hertz:
            frequencies.append(CpuFrequency(cpu=str(number), hertz=hertz))
    return frequencies
