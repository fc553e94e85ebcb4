"""Per-SKU behaviour the gpu_models table does not hold: idle figures, link counts, unsupported calls.

Unsupported sets name NVML functions that answer NVML_ERROR_NOT_SUPPORTED on that SKU, following the
nvidia-smi captures in the research notes: GeForce boards have no ECC, row remapping, retired pages, MIG
or NVLink and report a fan; datacenter boards are passively cooled (no fan); Hopper uses row remapping
instead of page retirement; the L40S has no HBM temperature and no NVLink. A MIG-enabled GPU also
answers NotSupported for device utilization and row remapping (nvml.h).
"""

from __future__ import annotations

from dataclasses import dataclass

_GEFORCE_LIMITS = frozenset(
    {
        "nvmlDeviceGetTotalEccErrors",
        "nvmlDeviceGetRemappedRows",
        "nvmlDeviceGetRetiredPages",
        "nvmlDeviceGetMigMode",
    }
)
_NO_FAN = frozenset({"nvmlDeviceGetFanSpeed"})
_NO_RETIREMENT = frozenset({"nvmlDeviceGetRetiredPages"})
_NO_NVLINK = frozenset({"nvmlDeviceGetNvLinkState", "nvmlDeviceGetNvLinkErrorCounter"})
_NO_SERIAL = frozenset({"nvmlDeviceGetSerial"})
#: Calls a MIG-enabled parent GPU answers NotSupported (nvml.h: utilization, remapped rows).
MIG_UNSUPPORTED = frozenset({"nvmlDeviceGetUtilizationRates", "nvmlDeviceGetRemappedRows"})


@dataclass(frozen=True)
class SkuProfile:
    idle_power_ratio: float  # idle draw / default power limit
    memory_temp_offset_c: float | None  # HBM runs this much above the core; None: no memory sensor
    nvlinks: int
    pcie_generation_idle: int  # links train down at idle
    unsupported: frozenset[str]


SKUS: dict[str, SkuProfile] = {
    "NVIDIA H100 80GB HBM3": SkuProfile(0.1, 4.0, 18, 5, _NO_FAN | _NO_RETIREMENT),
    "NVIDIA A100-SXM4-80GB": SkuProfile(0.12, 3.0, 12, 4, _NO_FAN),
    "NVIDIA L40S": SkuProfile(0.1, None, 0, 4, _NO_FAN | _NO_RETIREMENT | _NO_NVLINK),
    "NVIDIA GeForce RTX 4090": SkuProfile(0.06, None, 0, 4, _GEFORCE_LIMITS | _NO_NVLINK | _NO_SERIAL),
}

#: GPUs per host by SKU (the H100 host's last GPU is split into MIG instances).
GPU_COUNTS = {
    "NVIDIA H100 80GB HBM3": 8,
    "NVIDIA A100-SXM4-80GB": 4,
    "NVIDIA L40S": 4,
    "NVIDIA GeForce RTX 4090": 2,
}
#: (profile, gpu instance id, compute instance id, memory MiB) of the MIG-split H100.
H100_MIG_LAYOUT = (("3g.40gb", 1, 0, 40192), ("2g.20gb", 5, 0, 20096), ("1g.10gb", 13, 0, 9856))
