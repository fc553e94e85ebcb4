"""Reading one GPU through the access layer into plain typed data, converted to base units.

Every field is ``None`` when NVML cannot give it (remembered absent, or a transient failure this scrape);
the collector omits those series. Unit conversions happen here and only here: NVML reports milliwatts,
millijoules, MHz, percent and KB/s.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from exporters.gpu.nvml import ABSENT_CODES, INVALID_ARGUMENT, MALFORMED_ANSWER, NOT_FOUND, UNAVAILABLE, Nvml

MIB = 1024**2

#: Clock event reason bits (nvmlClocksEventReason*; the throttle-reasons call uses the same bits).
CLOCK_EVENT_REASONS: tuple[tuple[str, int], ...] = (
    ("gpu_idle", 0x1),
    ("applications_clocks_setting", 0x2),
    ("sw_power_cap", 0x4),
    ("hw_slowdown", 0x8),
    ("sync_boost", 0x10),
    ("sw_thermal_slowdown", 0x20),
    ("hw_thermal_slowdown", 0x40),
    ("hw_power_brake_slowdown", 0x80),
    ("display_clock_setting", 0x100),
)
#: (label value, NVML_CLOCK_* constant name).
CLOCKS = (("graphics", "NVML_CLOCK_GRAPHICS"), ("sm", "NVML_CLOCK_SM"), ("memory", "NVML_CLOCK_MEM"))
#: (label value, NVML_TEMPERATURE_THRESHOLD_* constant name).
THRESHOLDS = (
    ("shutdown", "NVML_TEMPERATURE_THRESHOLD_SHUTDOWN"),
    ("slowdown", "NVML_TEMPERATURE_THRESHOLD_SLOWDOWN"),
    ("gpu_max", "NVML_TEMPERATURE_THRESHOLD_GPU_MAX"),
    ("memory_max", "NVML_TEMPERATURE_THRESHOLD_MEM_MAX"),
)
ECC_KINDS = (
    ("corrected", "NVML_MEMORY_ERROR_TYPE_CORRECTED"),
    ("uncorrected", "NVML_MEMORY_ERROR_TYPE_UNCORRECTED"),
)
ECC_COUNTERS = (("volatile", "NVML_VOLATILE_ECC"), ("aggregate", "NVML_AGGREGATE_ECC"))
RETIREMENT_CAUSES = (
    ("multiple_single_bit_ecc", "NVML_PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS"),
    ("double_bit_ecc", "NVML_PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR"),
)
NVLINK_COUNTERS = (
    ("replay", "NVML_NVLINK_ERROR_DL_REPLAY"),
    ("recovery", "NVML_NVLINK_ERROR_DL_RECOVERY"),
    ("crc_flit", "NVML_NVLINK_ERROR_DL_CRC_FLIT"),
    ("crc_data", "NVML_NVLINK_ERROR_DL_CRC_DATA"),
)
#: A link number past the GPU's last link answers InvalidArgument: that link does not exist.
_NO_SUCH_LINK = ABSENT_CODES | {INVALID_ARGUMENT}
COMPUTE_MODES = {0: "default", 1: "exclusive_thread", 2: "prohibited", 3: "exclusive_process"}


@dataclass(frozen=True)
class Identity:
    index: int
    uuid: str
    name: str
    pci_bus_id: str
    serial: str | None
    vbios_version: str | None
    minor_number: int | None


@dataclass(frozen=True)
class MigDevice:
    uuid: str
    gpu_instance_id: int
    compute_instance_id: int
    profile: str
    memory_total: float | None
    memory_used: float | None
    memory_free: float | None


@dataclass(frozen=True)
class Process:
    pid: int
    used_memory: float | None  # bytes; None where the driver does not say (Windows WDDM)


@dataclass
class GpuReading:
    """Everything read from one GPU in one scrape; None = not available."""

    identity: Identity
    persistence_mode: bool | None = None
    compute_mode: str | None = None
    utilization: float | None = None
    memory_utilization: float | None = None
    encoder_utilization: float | None = None
    decoder_utilization: float | None = None
    memory_total: float | None = None
    memory_used: float | None = None
    memory_free: float | None = None
    memory_reserved: float | None = None
    temperature: float | None = None
    memory_temperature: float | None = None
    thresholds: dict[str, float] = dataclasses.field(default_factory=dict)
    power_usage: float | None = None
    power_limit: float | None = None
    power_default_limit: float | None = None
    energy: float | None = None
    clocks: dict[str, float] = dataclasses.field(default_factory=dict)
    max_clocks: dict[str, float] = dataclasses.field(default_factory=dict)
    clock_events: dict[str, bool] | None = None
    performance_state: int | None = None
    fan_speed: float | None = None
    pcie_generation: int | None = None
    pcie_width: int | None = None
    pcie_replays: float | None = None
    pcie_tx: float | None = None
    pcie_rx: float | None = None
    ecc_errors: dict[tuple[str, str], float] = dataclasses.field(default_factory=dict)
    retired_pages: dict[str, float] = dataclasses.field(default_factory=dict)
    remapped_rows: tuple[float, float, bool, bool] | None = None
    mig_enabled: bool | None = None
    mig_devices: list[MigDevice] = dataclasses.field(default_factory=list)
    nvlinks: dict[int, bool] = dataclasses.field(default_factory=dict)
    nvlink_errors: dict[tuple[int, str], float] = dataclasses.field(default_factory=dict)
    processes: list[Process] | None = None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _opt(value: Any, scale: float = 1.0) -> float | None:
    return None if value is UNAVAILABLE else float(value) * scale


def read_identity(nvml: Nvml, index: int, handle: Any) -> Identity:
    """UUID, name and PCI address are asked for outright: a GPU without them cannot be reported."""
    uuid = _text(nvml.call("nvmlDeviceGetUUID", handle))
    serial = nvml.read(uuid, "serial", "nvmlDeviceGetSerial", handle)
    vbios = nvml.read(uuid, "vbios", "nvmlDeviceGetVbiosVersion", handle)
    minor = nvml.read(uuid, "minor_number", "nvmlDeviceGetMinorNumber", handle)
    return Identity(
        index=index,
        uuid=uuid,
        name=_text(nvml.call("nvmlDeviceGetName", handle)),
        pci_bus_id=_text(nvml.call("nvmlDeviceGetPciInfo", handle).busId),
        serial=None if serial is UNAVAILABLE else _text(serial),
        vbios_version=None if vbios is UNAVAILABLE else _text(vbios),
        minor_number=None if minor is UNAVAILABLE else int(minor),
    )


class DeviceReader:
    """Reads every field family of one GPU; ``pcie_throughput`` is opt-in (it blocks ~20 ms per read)."""

    def __init__(self, nvml: Nvml, pcie_throughput: bool = False, processes: bool = True) -> None:
        self.nvml = nvml
        self.pcie_throughput = pcie_throughput
        self.processes = processes

    def read(self, identity: Identity, handle: Any) -> GpuReading:
        reading = GpuReading(identity)
        for step in (
            self._modes,
            self._utilization,
            self._memory,
            self._temperatures,
            self._power,
            self._clocks,
            self._clock_events,
            self._pcie,
            self._ecc,
            self._mig,
            self._nvlink,
            self._processes,
        ):
            try:
                step(reading, handle)
            except MALFORMED_ANSWER:
                self.nvml.count_partial("malformed")
        return reading

    def _get(self, reading: GpuReading, field: str, function: str, *args: Any) -> Any:
        return self.nvml.read(reading.identity.uuid, field, function, *args)

    def _const(self, name: str) -> Any:
        return self.nvml.constant(name)

    def _modes(self, r: GpuReading, h: Any) -> None:
        persistence = self._get(r, "persistence_mode", "nvmlDeviceGetPersistenceMode", h)
        r.persistence_mode = None if persistence is UNAVAILABLE else bool(persistence)
        mode = self._get(r, "compute_mode", "nvmlDeviceGetComputeMode", h)
        r.compute_mode = None if mode is UNAVAILABLE else COMPUTE_MODES.get(int(mode), str(mode))
        pstate = self._get(r, "performance_state", "nvmlDeviceGetPerformanceState", h)
        r.performance_state = None if pstate is UNAVAILABLE else int(pstate)
        r.fan_speed = _opt(self._get(r, "fan_speed", "nvmlDeviceGetFanSpeed", h), 0.01)

    def _utilization(self, r: GpuReading, h: Any) -> None:
        rates = self._get(r, "utilization", "nvmlDeviceGetUtilizationRates", h)
        if rates is not UNAVAILABLE:
            r.utilization, r.memory_utilization = rates.gpu / 100.0, rates.memory / 100.0
        for attr, function in (
            ("encoder_utilization", "nvmlDeviceGetEncoderUtilization"),
            ("decoder_utilization", "nvmlDeviceGetDecoderUtilization"),
        ):
            value = self._get(r, attr, function, h)
            setattr(r, attr, None if value is UNAVAILABLE else value[0] / 100.0)

    def _memory(self, r: GpuReading, h: Any) -> None:
        info = self._get(r, "memory_v2", "nvmlDeviceGetMemoryInfo", h, self._const("nvmlMemory_v2"))
        if info is UNAVAILABLE:  # drivers before the v2 struct: no reserved figure
            info = self._get(r, "memory", "nvmlDeviceGetMemoryInfo", h)
        if info is UNAVAILABLE:
            return
        r.memory_total, r.memory_used, r.memory_free = float(info.total), float(info.used), float(info.free)
        reserved = getattr(info, "reserved", None)
        r.memory_reserved = None if reserved is None else float(reserved)

    def _temperatures(self, r: GpuReading, h: Any) -> None:
        r.temperature = _opt(
            self._get(r, "temperature", "nvmlDeviceGetTemperature", h, self._const("NVML_TEMPERATURE_GPU"))
        )
        r.memory_temperature = _opt(
            self.nvml.field_value(
                r.identity.uuid, "memory_temperature", h, self._const("NVML_FI_DEV_MEMORY_TEMP")
            )
        )
        for name, constant in THRESHOLDS:
            value = self._get(
                r, f"threshold_{name}", "nvmlDeviceGetTemperatureThreshold", h, self._const(constant)
            )
            if value is not UNAVAILABLE:
                r.thresholds[name] = float(value)

    def _power(self, r: GpuReading, h: Any) -> None:
        r.power_usage = _opt(self._get(r, "power_usage", "nvmlDeviceGetPowerUsage", h), 1e-3)
        r.power_limit = _opt(self._get(r, "power_limit", "nvmlDeviceGetEnforcedPowerLimit", h), 1e-3)
        r.power_default_limit = _opt(
            self._get(r, "power_default_limit", "nvmlDeviceGetPowerManagementDefaultLimit", h), 1e-3
        )
        r.energy = _opt(self._get(r, "energy", "nvmlDeviceGetTotalEnergyConsumption", h), 1e-3)

    def _clocks(self, r: GpuReading, h: Any) -> None:
        for name, constant in CLOCKS:
            kind = self._const(constant)
            for target, function, field in (
                (r.clocks, "nvmlDeviceGetClockInfo", f"clock_{name}"),
                (r.max_clocks, "nvmlDeviceGetMaxClockInfo", f"max_clock_{name}"),
            ):
                value = self._get(r, field, function, h, kind)
                if value is not UNAVAILABLE:
                    target[name] = float(value) * 1e6

    def _clock_events(self, r: GpuReading, h: Any) -> None:
        """The current clock-events call, else the deprecated throttle-reasons call (same bits)."""
        mask = self._get(r, "clock_events", "nvmlDeviceGetCurrentClocksEventReasons", h)
        if mask is UNAVAILABLE:
            mask = self._get(r, "clock_throttle_reasons", "nvmlDeviceGetCurrentClocksThrottleReasons", h)
        if mask is not UNAVAILABLE:
            r.clock_events = {name: bool(int(mask) & bit) for name, bit in CLOCK_EVENT_REASONS}

    def _pcie(self, r: GpuReading, h: Any) -> None:
        generation = self._get(r, "pcie_generation", "nvmlDeviceGetCurrPcieLinkGeneration", h)
        width = self._get(r, "pcie_width", "nvmlDeviceGetCurrPcieLinkWidth", h)
        r.pcie_generation = None if generation is UNAVAILABLE else int(generation)
        r.pcie_width = None if width is UNAVAILABLE else int(width)
        r.pcie_replays = _opt(self._get(r, "pcie_replays", "nvmlDeviceGetPcieReplayCounter", h))
        if self.pcie_throughput:
            for attr, constant in (
                ("pcie_tx", "NVML_PCIE_UTIL_TX_BYTES"),
                ("pcie_rx", "NVML_PCIE_UTIL_RX_BYTES"),
            ):
                value = self._get(r, attr, "nvmlDeviceGetPcieThroughput", h, self._const(constant))
                setattr(r, attr, _opt(value, 1000.0))  # KB/s

    def _ecc(self, r: GpuReading, h: Any) -> None:
        for kind, kind_constant in ECC_KINDS:
            for counter, counter_constant in ECC_COUNTERS:
                value = self._get(
                    r, f"ecc_{kind}_{counter}", "nvmlDeviceGetTotalEccErrors", h,
                    self._const(kind_constant), self._const(counter_constant),
                )  # fmt: skip
                if value is not UNAVAILABLE:
                    r.ecc_errors[(kind, counter)] = float(value)
        for cause, constant in RETIREMENT_CAUSES:
            pages = self._get(
                r, f"retired_pages_{cause}", "nvmlDeviceGetRetiredPages", h, self._const(constant)
            )
            if pages is not UNAVAILABLE:
                r.retired_pages[cause] = float(len(pages))
        rows = self._get(r, "remapped_rows", "nvmlDeviceGetRemappedRows", h)
        if rows is not UNAVAILABLE:
            corrected, uncorrected, pending, failed = rows
            r.remapped_rows = (float(corrected), float(uncorrected), bool(pending), bool(failed))

    def _mig(self, r: GpuReading, h: Any) -> None:
        modes = self._get(r, "mig_mode", "nvmlDeviceGetMigMode", h)
        if modes is UNAVAILABLE:
            return
        r.mig_enabled = int(modes[0]) == self._const("NVML_DEVICE_MIG_ENABLE")
        if not r.mig_enabled:
            return
        count = self._get(r, "mig_count", "nvmlDeviceGetMaxMigDeviceCount", h)
        for slot in range(0 if count is UNAVAILABLE else int(count)):
            device = self._mig_device(r, h, slot)
            if device is not None:
                r.mig_devices.append(device)

    def _mig_device(self, r: GpuReading, h: Any, slot: int) -> MigDevice | None:
        """One MIG slot; an empty slot answers NotFound, which is the normal case and not an error."""
        nvml = self.nvml
        try:
            mig = nvml.call("nvmlDeviceGetMigDeviceHandleByIndex", h, slot)
            gpu_instance = int(nvml.call("nvmlDeviceGetGpuInstanceId", mig))
            compute_instance = int(nvml.call("nvmlDeviceGetComputeInstanceId", mig))
            uuid = _text(nvml.call("nvmlDeviceGetUUID", mig))
            name = _text(nvml.call("nvmlDeviceGetName", mig))
        except Exception as exc:
            if not nvml.is_error(exc):
                raise
            if getattr(exc, "value", None) != NOT_FOUND:
                nvml.count_error(exc)
            return None
        memory = nvml.read(uuid, "memory", "nvmlDeviceGetMemoryInfo", mig)
        total, used, free = (
            (None, None, None)
            if memory is UNAVAILABLE
            else (float(memory.total), float(memory.used), float(memory.free))
        )
        profile = name.rpartition(" MIG ")[2] if " MIG " in name else name
        return MigDevice(uuid, gpu_instance, compute_instance, profile, total, used, free)

    def _nvlink(self, r: GpuReading, h: Any) -> None:
        """Links answer until the first one past the GPU's count; no NVLink at all is remembered."""
        uuid = r.identity.uuid
        if self.nvml.absent(uuid, "nvlink"):
            return
        for link in range(int(self._const("NVML_NVLINK_MAX_LINKS"))):
            state = self.nvml.read(
                uuid, f"nvlink_{link}", "nvmlDeviceGetNvLinkState", h, link, absent_codes=_NO_SUCH_LINK
            )
            if state is UNAVAILABLE:
                if link == 0:
                    self.nvml.mark_absent(uuid, "nvlink")
                break
            r.nvlinks[link] = bool(state)
            for counter, constant in NVLINK_COUNTERS:
                value = self.nvml.read(
                    uuid,
                    f"nvlink_{link}_{counter}",
                    "nvmlDeviceGetNvLinkErrorCounter",
                    h,
                    link,
                    self._const(constant),
                )
                if value is not UNAVAILABLE:
                    r.nvlink_errors[(link, counter)] = float(value)

    def _processes(self, r: GpuReading, h: Any) -> None:
        if not self.processes:
            return
        found: dict[int, Process] = {}
        any_answer = False
        for field, function in (
            ("compute_processes", "nvmlDeviceGetComputeRunningProcesses"),
            ("graphics_processes", "nvmlDeviceGetGraphicsRunningProcesses"),
        ):
            entries = self._get(r, field, function, h)
            if entries is UNAVAILABLE:
                continue
            any_answer = True
            for entry in entries:
                memory = getattr(entry, "usedGpuMemory", None)
                pid = int(entry.pid)
                previous = found.get(pid)
                used = None if memory is None else float(memory)
                if previous is not None and previous.used_memory is not None:  # a pid in both lists
                    used = max(used or 0.0, previous.used_memory)
                found[pid] = Process(pid, used)
        r.processes = list(found.values()) if any_answer else None
