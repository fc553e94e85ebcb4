"""``--compat=dcgm``: the fields llmon has, also under dcgm-exporter's default-counter names and labels.

dcgm-exporter (etc/default-counters.csv) names series after DCGM fields in DCGM's units (MHz, MiB,
percent, millijoules) and labels every series with gpu, UUID, pci_bus_id, device (nvidia<minor>),
modelName and Hostname, plus the DCGM_FI_DRIVER_VERSION label field. Dashboards built on it keep working
when pointed at llmon. dcgm-exporter's counters (energy, PCIe replays, remapped rows) have no _total
suffix; prometheus_client only writes counters with one, so they are exposed here as gauges under the
exact dcgm names, which every PromQL query over them (rate(), increase()) still accepts. DCGM profiling
fields (DCGM_FI_PROF_*) need DCGM itself and are not emitted, except the PCIe byte rates when
``--collector.pcie-throughput`` is on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import Metric

from exporters.gpu.device import MIB, GpuReading
from exporters.gpu.families import FamilyBuilder

#: (dcgm field, help from default-counters.csv, value of a reading in dcgm's unit or None).
_FIELDS = (
    ("DCGM_FI_DEV_SM_CLOCK", "SM clock frequency (in MHz).", lambda r: _scaled(r.clocks.get("sm"), 1e-6)),
    ("DCGM_FI_DEV_MEM_CLOCK", "Memory clock frequency (in MHz).",
     lambda r: _scaled(r.clocks.get("memory"), 1e-6)),
    ("DCGM_FI_DEV_MEMORY_TEMP", "Memory temperature (in C).", lambda r: r.memory_temperature),
    ("DCGM_FI_DEV_GPU_TEMP", "GPU temperature (in C).", lambda r: r.temperature),
    ("DCGM_FI_DEV_POWER_USAGE", "Power draw (in W).", lambda r: r.power_usage),
    ("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "Total energy consumption since boot (in mJ).",
     lambda r: _scaled(r.energy, 1e3)),
    ("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "Total number of PCIe retries.", lambda r: r.pcie_replays),
    ("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", lambda r: _scaled(r.utilization, 100.0)),
    ("DCGM_FI_DEV_MEM_COPY_UTIL", "Memory utilization (in %).",
     lambda r: _scaled(r.memory_utilization, 100.0)),
    ("DCGM_FI_DEV_ENC_UTIL", "Encoder utilization (in %).", lambda r: _scaled(r.encoder_utilization, 100.0)),
    ("DCGM_FI_DEV_DEC_UTIL", "Decoder utilization (in %).", lambda r: _scaled(r.decoder_utilization, 100.0)),
    ("DCGM_FI_DEV_FB_FREE", "Framebuffer memory free (in MiB).", lambda r: _scaled(r.memory_free, 1 / MIB)),
    ("DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB).", lambda r: _scaled(r.memory_used, 1 / MIB)),
    ("DCGM_FI_DEV_FB_RESERVED", "Framebuffer memory reserved (in MiB).",
     lambda r: _scaled(r.memory_reserved, 1 / MIB)),
    ("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "Number of remapped rows for uncorrectable errors",
     lambda r: None if r.remapped_rows is None else r.remapped_rows[1]),
    ("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", "Number of remapped rows for correctable errors",
     lambda r: None if r.remapped_rows is None else r.remapped_rows[0]),
    ("DCGM_FI_DEV_ROW_REMAP_FAILURE", "Whether remapping of rows has failed",
     lambda r: None if r.remapped_rows is None else float(r.remapped_rows[3])),
    ("DCGM_FI_PROF_PCIE_TX_BYTES", "The rate of data transmitted over the PCIe bus - including both protocol "
     "headers and data payloads - in bytes per second.", lambda r: r.pcie_tx),
    ("DCGM_FI_PROF_PCIE_RX_BYTES", "The rate of data received over the PCIe bus - including both protocol "
     "headers and data payloads - in bytes per second.", lambda r: r.pcie_rx),
)  # fmt: skip


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def labels(reading: GpuReading, hostname: str, driver_version: str) -> dict[str, str]:
    """dcgm-exporter's label set for a GPU, in its order."""
    identity = reading.identity
    minor = identity.minor_number if identity.minor_number is not None else identity.index
    return {
        "gpu": str(identity.index),
        "UUID": identity.uuid,
        "pci_bus_id": identity.pci_bus_id,
        "device": f"nvidia{minor}",
        "modelName": identity.name,
        "Hostname": hostname,
        "DCGM_FI_DRIVER_VERSION": driver_version,
    }


def families(
    readings: Iterable[GpuReading], hostname: str, driver_version: str, last_xid: Mapping[str, int]
) -> list[Metric]:
    out = FamilyBuilder()
    for reading in readings:
        gpu_labels = labels(reading, hostname, driver_version)
        for name, help_text, value_of in _FIELDS:
            out.gauge(name, help_text, gpu_labels, value_of(reading))
        out.gauge(
            "DCGM_FI_DEV_XID_ERRORS",
            "Value of the last XID error encountered.",
            gpu_labels,
            float(last_xid.get(reading.identity.uuid, 0)),
        )
    return out.families()
