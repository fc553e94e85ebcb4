"""The seeded GPUs: every host gets its class's SKU (mock/seed/hardware.py), several of them.

Filled by ``fill_gpus`` from generate.py after the hosts and before the containers (which hand the GPUs
to vLLM containers). Randomness comes from a generator of its own, seeded from the seed, so adding GPUs
changed none of the host rows. Besides the gpus table it fills:
- gpu_twin: per-GPU variation the twin applies (temperature offset, load factor, lifetime counters);
- gpu_mig_instances: the MIG layout of the H100 host's last GPU;
- gpu_processes: GPU processes that run outside containers, under a systemd unit.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import numpy as np

from mock.seed.hardware import GPU_MODELS, HOST_CLASSES
from mock.twins.gpu.skus import GPU_COUNTS, H100_MIG_LAYOUT

if TYPE_CHECKING:
    from mock.seed.generate import SeedRows

_STREAM = 0x67707573  # "gpus"
_MIB = 1024**2
#: Non-container GPU processes: (host prefix, GPU index, pid offset, kind, unit, process name, MiB).
UNIT_PROCESSES = (
    ("ws-rtx4090", 0, 0, "graphics", "display-manager.service", "/usr/lib/xorg/Xorg", 182),
    ("ws-rtx4090", 1, 1, "compute", "ollama.service", "/usr/local/bin/ollama", 6144),
)
#: SXM boards sit at PCIe bus ids spread over both sockets, as on a real 8-GPU HGX baseboard.
_PCI_BUSES = ("18", "2a", "3a", "5d", "9a", "ab", "ba", "db")


def _uuid(rng: np.random.Generator, prefix: str) -> str:
    return f"{prefix}-{uuid.UUID(bytes=rng.bytes(16), version=4)}"


def fill_gpus(rows: SeedRows, seed: int) -> None:
    """GPUs of every host, in host order, GPU index order."""
    rng = np.random.default_rng([seed, _STREAM])
    model_ids = {str(model["name"]): model_id for model_id, model in enumerate(GPU_MODELS, start=1)}
    gpu_id = 0
    for host_id, cls in enumerate(HOST_CLASSES, start=1):
        model_name = cls.gpu_model
        model = GPU_MODELS[model_ids[model_name] - 1]
        count = GPU_COUNTS[model_name]
        serial_base = int(rng.integers(1_320_000_000_000, 1_329_999_999_999))
        for index in range(count):
            gpu_id += 1
            mig = model_name.startswith("NVIDIA H100") and index == count - 1
            bus = _PCI_BUSES[index] if count > 2 else f"{0x41 + 0x40 * index:02x}"
            rows.add(
                "gpus", id=gpu_id, host_id=host_id, gpu_model_id=model_ids[model_name], minor_number=index,
                uuid=_uuid(rng, "GPU"),
                serial=None if model["brand"] == "GeForce" else str(serial_base + index),
                pci_bus_id=f"00000000:{bus.upper()}:00.0", vbios_version=_vbios(model_name),
                power_limit_w=float(model["power_limit_default_w"]), mig_enabled=int(mig),
            )  # fmt: skip
            rows.add(
                "gpu_twin", gpu_id=gpu_id, temp_offset_c=round(float(rng.uniform(-2.5, 2.5)), 2),
                load_factor=round(float(rng.uniform(0.93, 1.04)), 3),
                ecc_corrected_aggregate=int(rng.integers(0, 40)) if model["ecc_supported"] else 0,
                pcie_replays=int(rng.integers(0, 6)), energy_offset_j=round(float(rng.uniform(1e6, 5e7)), 1),
            )  # fmt: skip
            if mig:
                for profile, gpu_instance, compute_instance, mib in H100_MIG_LAYOUT:
                    rows.add(
                        "gpu_mig_instances", gpu_id=gpu_id, gpu_instance_id=gpu_instance,
                        compute_instance_id=compute_instance, profile=profile, memory_bytes=mib * _MIB,
                        uuid=_uuid(rng, "MIG"),
                    )  # fmt: skip
        for prefix, index, pid_offset, kind, unit, name, mib in UNIT_PROCESSES:
            if cls.prefix == prefix:
                rows.add(
                    "gpu_processes", gpu_id=gpu_id - count + 1 + index,
                    pid=int(rng.integers(1500, 9000)) + pid_offset,
                    kind=kind, unit=unit, name=name, memory_bytes=mib * _MIB,
                )  # fmt: skip


def _vbios(model_name: str) -> str:
    """VBIOS versions as nvidia-smi prints them for each SKU's shipping firmware."""
    return {
        "NVIDIA H100 80GB HBM3": "96.00.99.00.01",
        "NVIDIA A100-SXM4-80GB": "92.00.45.00.06",
        "NVIDIA L40S": "95.02.66.00.02",
        "NVIDIA GeForce RTX 4090": "95.02.18.80.5F",
    }[model_name]
