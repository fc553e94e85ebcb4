"""The ``nvml`` source: enumerates GPUs at scrape time and turns their readings into llmon_gpu_* families.

NVML is a fast local library, so collection happens during the scrape (DESIGN section 2). Failure
handling, from widest to narrowest:
- no NVML at all (no driver, library missing): CollectError "unsupported"; the base reports
  ``llmon_exporter_up{source="nvml"} 0`` and logs the cause once. Init is retried each scrape, so a
  driver loaded later is picked up without a restart.
- one GPU lost (GpuIsLost, or gone from the enumeration after being seen): ``llmon_gpu_up{gpu,uuid} 0``
  for it, every other GPU keeps reporting.
- one field absent or failing: that series is omitted (see exporters/gpu/nvml.py).
Whatever failed short of NVML itself (a field, a lost or vanished GPU, a MIG slot, the XID thread, a
pid's cgroup, Docker for container names) is counted by reason in
``llmon_exporter_collect_errors_total{source="nvml"}`` through ``take_partial_errors``; the scrape and
``llmon_exporter_up`` stay good.

Only ``gpu`` (index) and ``uuid`` identify a GPU on value metrics; everything descriptive is on
``llmon_gpu_info``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Metric

from exporters.base import CollectError, Source
from exporters.gpu import dcgm
from exporters.gpu.device import DeviceReader, GpuReading, Identity, _text, read_identity
from exporters.gpu.families import FamilyBuilder
from exporters.gpu.nvml import GPU_IS_LOST, MALFORMED_ANSWER, TIMEOUT, GpuLostError, Nvml, error_code
from exporters.gpu.workload import REASON_BY_WORKLOAD_ERROR, WorkloadMapper
from exporters.gpu.xid import XidWatcher

log = logging.getLogger(__name__)
#: More GPUs than any host has (NVSwitch systems top out at 16 per board, 256 per NVLink domain): a
#: larger count is a broken answer, and looping over it would never end.
MAX_GPUS = 256


@dataclass
class Scan:
    """One scrape's view of the GPUs: readings of the live ones, (index, uuid) of the lost ones."""

    readings: list[GpuReading] = field(default_factory=list)
    lost: list[tuple[int, str]] = field(default_factory=list)
    driver_version: str = ""
    cuda_version: str = ""


def _cuda_version(raw: Any) -> str:
    """nvmlSystemGetCudaDriverVersion's integer (12040) as CUDA writes it (12.4)."""
    number = int(raw)
    return f"{number // 1000}.{number % 1000 // 10}"


class NvmlSource(Source):
    """Every GPU NVML enumerates, read on each scrape."""

    name = "nvml"

    def __init__(  # noqa: PLR0917 - built in one place (build_sources) and by tests, by keyword
        self,
        nvml: Nvml,
        reader: DeviceReader,
        mapper: WorkloadMapper | None = None,
        watch_xid: bool = True,
        dcgm_hostname: str | None = None,
        max_workload_series: int = 200,
        xid_factory: Callable[[Nvml], XidWatcher] = XidWatcher,
    ) -> None:
        self._nvml = nvml
        self._reader = reader
        self._mapper = mapper
        self._dcgm_hostname = dcgm_hostname
        self._max_workload_series = max_workload_series
        self._initialised = False
        self._versions = ("", "")
        self._known: dict[int, str] = {}  # index -> uuid of every GPU seen since start
        self._vanished: set[int] = set()  # indices gone from the enumeration at the last scan
        self._workload_errors_taken: dict[str, int] = {}
        self._xid = xid_factory(nvml) if watch_xid else None
        self._workload_dropped = 0

    # --- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the XID thread and release NVML (tests and embedding; the process exit does it too)."""
        if self._xid is not None:
            self._xid.stop()
        if self._initialised:
            self._initialised = False
            try:
                self._nvml.call("nvmlShutdown")
            except Exception as exc:
                log.debug("nvml shutdown failed", extra={"err": str(exc)})

    def _init(self) -> None:
        if self._initialised:
            return
        try:
            self._nvml.call("nvmlInit")
        except Exception as exc:
            if not self._nvml.is_error(exc):
                raise
            raise CollectError(
                "unsupported", f"NVML is not available ({exc}): is the NVIDIA driver installed and loaded?"
            ) from None
        self._initialised = True
        self._versions = (
            self._system_version("nvmlSystemGetDriverVersion", _text),
            self._system_version("nvmlSystemGetCudaDriverVersion", _cuda_version),
        )
        log.info("nvml initialised", extra={"driver": self._versions[0], "cuda": self._versions[1]})

    def _system_version(self, function: str, convert: Callable[[Any], str]) -> str:
        """A driver-wide version string; "unknown" (counted) when NVML refuses it or answers garbage,
        since the GPUs can still be read without it."""
        try:
            return convert(self._nvml.call(function))
        except MALFORMED_ANSWER:
            self._nvml.count_partial("malformed")
        except Exception as exc:
            if not self._nvml.is_error(exc):
                raise
            self._nvml.count_error(exc)
        return "unknown"

    # --- scanning ----------------------------------------------------------------------------

    def scan(self) -> Scan:
        """Enumerate and read every GPU; raises CollectError only when NVML itself is unusable."""
        self._init()
        scan = Scan(driver_version=self._versions[0], cuda_version=self._versions[1])
        try:
            count = int(self._nvml.call("nvmlDeviceGetCount"))
            if not 0 <= count <= MAX_GPUS:
                raise ValueError(count)
        except MALFORMED_ANSWER:
            raise CollectError("malformed", "NVML answered the GPU count with no plausible count") from None
        except Exception as exc:
            if not self._nvml.is_error(exc):
                raise
            self._initialised = error_code(exc) != 1  # Uninitialized: init again next scrape
            reason = "timeout" if error_code(exc) == TIMEOUT else "io"
            raise CollectError(reason, f"NVML cannot count the GPUs ({exc})") from None
        live: list[tuple[int, str, Any]] = []
        for index in range(count):
            self._scan_one(index, scan, live)
        seen = {index for index, _, _ in live} | {index for index, _ in scan.lost}
        vanished = {index: uuid for index, uuid in sorted(self._known.items()) if index not in seen}
        scan.lost.extend(vanished.items())
        for _ in vanished.keys() - self._vanished:  # counted when it goes, not on every later scrape
            self._nvml.count_partial("unreachable")
        self._vanished = set(vanished)
        if self._xid is not None and live and not self._xid.running:
            self._xid.start(live)
        return scan

    def _scan_one(self, index: int, scan: Scan, live: list[tuple[int, str, Any]]) -> None:
        identity: Identity | None = None
        try:
            handle = self._nvml.call("nvmlDeviceGetHandleByIndex", index)
            identity = read_identity(self._nvml, index, handle)
            self._known[index] = identity.uuid
            scan.readings.append(self._reader.read(identity, handle))
            live.append((index, identity.uuid, handle))
        except GpuLostError:
            scan.lost.append((index, identity.uuid if identity else self._known.get(index, "unknown")))
        except MALFORMED_ANSWER:  # an identity answer of the wrong shape: this GPU cannot be named
            self._nvml.count_partial("malformed")
        except Exception as exc:
            if not self._nvml.is_error(exc):
                raise
            if error_code(exc) == GPU_IS_LOST:  # lost while reading its identity
                scan.lost.append((index, self._known.get(index, "unknown")))
                self._nvml.count_partial(self._nvml.reason(exc))
            else:
                self._nvml.count_error(exc)

    def take_partial_errors(self) -> Counter[str]:
        """NVML calls that failed since the last take, plus new workload-mapping failures, by reason."""
        tally = self._nvml.take_partial_errors()
        if self._mapper is not None:
            counts = self._mapper.errors.snapshot()
            for error, count in counts.items():
                new = count - self._workload_errors_taken.get(error, 0)
                tally[REASON_BY_WORKLOAD_ERROR.get(error, "internal")] += new
            self._workload_errors_taken = counts
        return +tally  # without the reasons that stayed at zero

    # --- families ----------------------------------------------------------------------------

    def collect(self) -> Iterator[Metric]:
        scan = self.scan()
        out = FamilyBuilder()
        for reading in scan.readings:
            _gpu_families(out, reading, scan)
        for index, uuid in scan.lost:
            out.gauge("llmon_gpu_up", _UP_HELP, {"gpu": str(index), "uuid": uuid}, 0.0)
        self._xid_families(out)
        if self._mapper is not None:
            self._workload_families(out, scan.readings)
        for name, count in sorted(self._nvml.errors.items()):
            out.counter("llmon_gpu_nvml_errors_total", _NVML_ERRORS_HELP, {"error": name}, count)
        yield from out.families()
        if self._dcgm_hostname is not None:
            yield from dcgm.families(scan.readings, self._dcgm_hostname, scan.driver_version,
                                     _last_xid_by_gpu(self._xid))  # fmt: skip

    def _xid_families(self, out: FamilyBuilder) -> None:
        if self._xid is None:
            return
        counts, last_seen = self._xid.snapshot()
        for key, count in sorted(counts.items(), key=lambda item: (item[0].gpu, item[0].xid)):
            labels = {"gpu": key.gpu, "uuid": key.uuid, "xid": key.xid}
            out.counter(
                "llmon_gpu_xid_errors_total", "XID errors reported by the driver, by XID code.", labels, count
            )
            out.gauge(
                "llmon_gpu_xid_last_timestamp_seconds",
                "Unix time the XID code was last reported for the GPU.",
                labels,
                last_seen[key],
            )

    def _workload_families(self, out: FamilyBuilder, readings: list[GpuReading]) -> None:
        assert self._mapper is not None
        totals: dict[tuple[str, str, str, str], float] = {}
        for reading in readings:
            if reading.processes is None:
                continue
            ids = _ids(reading.identity)
            out.gauge("llmon_gpu_processes", "Processes using the GPU.", ids, len(reading.processes))
            for process in reading.processes:
                owner = self._mapper.owner(process.pid)
                if owner is None or process.used_memory is None:
                    continue
                key = (ids["gpu"], ids["uuid"], *owner)
                totals[key] = totals.get(key, 0.0) + process.used_memory
        for position, ((gpu, uuid, kind, value), memory) in enumerate(sorted(totals.items())):
            if position >= self._max_workload_series:
                self._workload_dropped += 1
                continue
            if kind == "container":
                out.gauge(
                    "llmon_gpu_container_memory_bytes",
                    "GPU memory used by the processes of a container.",
                    {"gpu": gpu, "uuid": uuid, "container": value},
                    memory,
                )
            else:
                out.gauge(
                    "llmon_gpu_unit_memory_bytes",
                    "GPU memory used by the processes of a systemd unit (processes outside containers).",
                    {"gpu": gpu, "uuid": uuid, "unit": value},
                    memory,
                )
        out.counter(
            "llmon_gpu_workload_series_dropped_total",
            "Container/unit memory series left out because --workloads.max-series was reached.",
            {},
            self._workload_dropped,
        )
        for reason, count in self._mapper.errors.snapshot().items():
            out.counter(
                "llmon_gpu_workload_errors_total",
                "Failures mapping GPU processes to workloads, by reason.",
                {"reason": reason},
                count,
            )


_UP_HELP = "1 when the GPU answered NVML this scrape, 0 when it is lost or gone since it was last seen."
_NVML_ERRORS_HELP = "NVML calls that failed transiently (the series was left out of that scrape), by error."


def _last_xid_by_gpu(watcher: XidWatcher | None) -> dict[str, int]:
    """The most recently seen XID code per GPU uuid (what dcgm-exporter's DCGM_FI_DEV_XID_ERRORS shows)."""
    if watcher is None:
        return {}
    _, last_seen = watcher.snapshot()
    latest: dict[str, tuple[float, int]] = {}
    for key, seen in last_seen.items():
        if key.uuid not in latest or seen >= latest[key.uuid][0]:
            latest[key.uuid] = (seen, int(key.xid))
    return {uuid: xid for uuid, (_, xid) in latest.items()}


def _ids(identity: Identity) -> dict[str, str]:
    return {"gpu": str(identity.index), "uuid": identity.uuid}


def _gpu_families(out: FamilyBuilder, r: GpuReading, scan: Scan) -> None:
    ids = _ids(r.identity)
    identity = r.identity
    out.gauge("llmon_gpu_up", _UP_HELP, ids, 1.0)
    out.gauge(
        "llmon_gpu_info",
        "GPU identity and configuration; value 1. Join on gpu and uuid.",
        {
            **ids,
            "name": identity.name,
            "pci_bus_id": identity.pci_bus_id,
            "serial": identity.serial or "",
            "vbios_version": identity.vbios_version or "",
            "driver_version": scan.driver_version,
            "cuda_version": scan.cuda_version,
            "persistence_mode": {True: "enabled", False: "disabled", None: ""}[r.persistence_mode],
            "compute_mode": r.compute_mode or "",
            "mig_mode": {True: "enabled", False: "disabled", None: ""}[r.mig_enabled],
        },
        1.0,
    )
    for name, help_text, value in (
        ("utilization_ratio", "Fraction of the sample period a kernel ran on the GPU.", r.utilization),
        ("memory_utilization_ratio", "Fraction of the sample period device memory was read or written.",
         r.memory_utilization),
        ("encoder_utilization_ratio", "Video encoder utilization.", r.encoder_utilization),
        ("decoder_utilization_ratio", "Video decoder utilization.", r.decoder_utilization),
        ("memory_total_bytes", "Total device memory (framebuffer).", r.memory_total),
        ("memory_used_bytes", "Device memory allocated.", r.memory_used),
        ("memory_free_bytes", "Device memory free.", r.memory_free),
        ("memory_reserved_bytes", "Device memory reserved by the driver and firmware.", r.memory_reserved),
        ("temperature_celsius", "GPU core temperature.", r.temperature),
        ("memory_temperature_celsius", "Memory (HBM) temperature.", r.memory_temperature),
        ("power_usage_watts", "Power draw of the board.", r.power_usage),
        ("power_limit_watts", "Power limit the driver enforces now.", r.power_limit),
        ("power_default_limit_watts", "Default power limit of the board.", r.power_default_limit),
        ("performance_state", "Performance state P0 (fastest) to P15 (slowest).", r.performance_state),
        ("fan_speed_ratio", "Fan speed as a fraction of its maximum.", r.fan_speed),
        ("pcie_link_generation", "Current PCIe link generation.", r.pcie_generation),
        ("pcie_link_width", "Current PCIe link width (lanes).", r.pcie_width),
        ("pcie_tx_bytes_per_second", "PCIe transmit throughput (sampled over 20 ms).", r.pcie_tx),
        ("pcie_rx_bytes_per_second", "PCIe receive throughput (sampled over 20 ms).", r.pcie_rx),
    ):  # fmt: skip
        out.gauge(f"llmon_gpu_{name}", help_text, ids, value)
    out.counter("llmon_gpu_energy_joules_total", "Energy used since the driver was loaded.", ids, r.energy)
    out.counter("llmon_gpu_pcie_replays_total", "PCIe link replays (retransmissions).", ids, r.pcie_replays)
    for threshold, value in r.thresholds.items():
        out.gauge(
            "llmon_gpu_temperature_threshold_celsius",
            "Temperature at which the GPU slows down, shuts down, or its maximum operating temperature.",
            {**ids, "threshold": threshold},
            value,
        )
    for clock, value in r.clocks.items():
        out.gauge("llmon_gpu_clock_hz", "Current clock frequency.", {**ids, "clock": clock}, value)
    for clock, value in r.max_clocks.items():
        out.gauge("llmon_gpu_clock_max_hz", "Maximum clock frequency.", {**ids, "clock": clock}, value)
    for reason, active in (r.clock_events or {}).items():
        out.gauge(
            "llmon_gpu_clock_event_active",
            "1 while the reason holds clocks down (thermal, power cap, idle, ...), else 0.",
            {**ids, "reason": reason},
            1.0 if active else 0.0,
        )
    for (kind, counter), value in r.ecc_errors.items():
        out.counter(
            "llmon_gpu_ecc_errors_total",
            "ECC memory errors; volatile since the last driver load, aggregate over the GPU's life.",
            {**ids, "type": kind, "counter": counter},
            value,
        )
    for cause, value in r.retired_pages.items():
        out.gauge(
            "llmon_gpu_retired_pages", "Memory pages retired, by cause.", {**ids, "cause": cause}, value
        )
    if r.remapped_rows is not None:
        corrected, uncorrected, pending, failed = r.remapped_rows
        for kind, value in (("correctable", corrected), ("uncorrectable", uncorrected)):
            out.counter(
                "llmon_gpu_remapped_rows_total",
                "Memory rows remapped, by the kind of error that caused it.",
                {**ids, "type": kind},
                value,
            )
        out.gauge(
            "llmon_gpu_row_remap_pending", "1 when a row remap waits for a GPU reset.", ids, float(pending)
        )
        out.gauge("llmon_gpu_row_remap_failure", "1 when a row remap failed (the GPU needs service).", ids,
                  float(failed))  # fmt: skip
    _mig_families(out, r, ids)
    for link, up in r.nvlinks.items():
        out.gauge("llmon_gpu_nvlink_up", "1 when the NVLink link is active.", {**ids, "link": str(link)},
                  1.0 if up else 0.0)  # fmt: skip
    for (link, counter), value in r.nvlink_errors.items():
        out.counter(
            "llmon_gpu_nvlink_errors_total",
            "NVLink data-link errors, by counter.",
            {**ids, "link": str(link), "counter": counter},
            value,
        )


def _mig_families(out: FamilyBuilder, r: GpuReading, ids: dict[str, str]) -> None:
    for mig in r.mig_devices:
        instance = {**ids, "gpu_instance_id": str(mig.gpu_instance_id)}
        out.gauge(
            "llmon_gpu_mig_info",
            "A MIG device of the GPU: its uuid, instance ids and profile; value 1.",
            {**instance, "compute_instance_id": str(mig.compute_instance_id), "mig_uuid": mig.uuid,
             "profile": mig.profile},
            1.0,
        )  # fmt: skip
        for name, value in (
            ("total", mig.memory_total),
            ("used", mig.memory_used),
            ("free", mig.memory_free),
        ):
            out.gauge(f"llmon_gpu_mig_memory_{name}_bytes", f"Device memory {name} of the MIG GPU instance.",
                      instance, value)  # fmt: skip
