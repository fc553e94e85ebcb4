# ruff: noqa: N802 - the method names are NVML's, so this object can stand in for the pynvml module
"""The NVML stand-in: an object that looks like the ``pynvml`` module for exactly the calls llmon uses.

``--gpu.backend=mock`` hands the exporter ``StandInNvml(db, host)`` where it would hand it ``pynvml``.
Each call reads the GPUs' state from the scenario engine (mock/twins/gpu/state.py) at the mock clock's
current time, cached for ``cache_s`` so one scrape sees one consistent state without reopening the
database hundreds of times. Return shapes follow the binding: structs with the binding's attribute names,
milliwatts, millijoules, MHz, percent, KB/s, and errors as NVMLError subclasses with pynvml's codes.

Per-SKU gaps (mock/twins/gpu/skus.py) answer NotSupported; a lost GPU answers GpuIsLost to every call
but enumeration; a missing database makes nvmlInit fail like a host without a loaded driver.
``calls`` counts every call by function name, so tests can prove what is and is not asked again.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from mock.db import current_clock, open_db, read_history
from mock.errors import MockError
from mock.scenario import Scenario, get_scenario, load_scenarios
from mock.twins.gpu.errors import CODES, ERROR_CLASSES, NVMLError
from mock.twins.gpu.skus import MIG_UNSUPPORTED
from mock.twins.gpu.state import GpuState, HostGpus, gpu_states, load_host_gpus

DRIVER_VERSION = "560.35.03"
CUDA_DRIVER_VERSION = 12060
EVENT_POLL_S = 0.05

#: The binding's constants the exporter uses, with pynvml's values.
CONSTANTS: dict[str, int] = {
    "NVML_TEMPERATURE_GPU": 0,
    "NVML_TEMPERATURE_THRESHOLD_SHUTDOWN": 0,
    "NVML_TEMPERATURE_THRESHOLD_SLOWDOWN": 1,
    "NVML_TEMPERATURE_THRESHOLD_MEM_MAX": 2,
    "NVML_TEMPERATURE_THRESHOLD_GPU_MAX": 3,
    "NVML_FI_DEV_MEMORY_TEMP": 82,
    "NVML_CLOCK_GRAPHICS": 0,
    "NVML_CLOCK_SM": 1,
    "NVML_CLOCK_MEM": 2,
    "NVML_MEMORY_ERROR_TYPE_CORRECTED": 0,
    "NVML_MEMORY_ERROR_TYPE_UNCORRECTED": 1,
    "NVML_VOLATILE_ECC": 0,
    "NVML_AGGREGATE_ECC": 1,
    "NVML_PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS": 0,
    "NVML_PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR": 1,
    "NVML_PCIE_UTIL_TX_BYTES": 0,
    "NVML_PCIE_UTIL_RX_BYTES": 1,
    "NVML_DEVICE_MIG_DISABLE": 0,
    "NVML_DEVICE_MIG_ENABLE": 1,
    "NVML_NVLINK_MAX_LINKS": 36,
    "NVML_NVLINK_ERROR_DL_REPLAY": 0,
    "NVML_NVLINK_ERROR_DL_RECOVERY": 1,
    "NVML_NVLINK_ERROR_DL_CRC_FLIT": 2,
    "NVML_NVLINK_ERROR_DL_CRC_DATA": 3,
    "NVML_VALUE_TYPE_UNSIGNED_INT": 1,
    "nvmlMemory_v2": 0x02000028,
    "nvmlEventTypeXidCriticalError": 0x8,
}


@dataclass(frozen=True)
class DeviceHandle:
    index: int


@dataclass(frozen=True)
class MigHandle:
    parent: int
    slot: int


@dataclass
class _Snapshot:
    taken: float
    generation: int
    states: tuple[GpuState, ...]


@dataclass
class _EventSet:
    devices: set[int]
    delivered: set[tuple[int, int, float, int]]


class StandInNvml:
    """A ``pynvml`` look-alike serving the GPUs of one seeded host."""

    NVMLError = NVMLError

    def __init__(
        self,
        db_path: Path,
        hostname: str | None = None,
        cache_s: float = 0.5,
        clock: Callable[[], float] = time.time,
        scenarios: dict[str, Scenario] | None = None,
    ) -> None:
        self._db_path = db_path
        self._hostname = hostname
        self._cache_s = cache_s
        self._clock = clock
        self._scenarios = scenarios
        self._host: HostGpus | None = None
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()
        self._initialised = 0
        self.calls: Counter[str] = Counter()
        for name, value in CONSTANTS.items():
            setattr(self, name, value)
        for name, cls in ERROR_CLASSES.items():
            setattr(self, name, cls)

    # --- plumbing ---------------------------------------------------------------------------

    def _count(self, function: str) -> None:
        with self._lock:
            self.calls[function] += 1
        if not self._initialised:
            raise NVMLError(CODES["Uninitialized"])

    def _states(self) -> _Snapshot:
        now = self._clock()
        with self._lock:
            if self._snapshot is not None and now - self._snapshot.taken < self._cache_s:
                return self._snapshot
        try:
            with open_db(self._db_path) as conn:
                clock = current_clock(conn, now)
                history = read_history(conn)
                host = self._host or load_host_gpus(conn, self._hostname)
            if self._scenarios is None:
                self._scenarios = load_scenarios()
            scenarios = self._scenarios
            played = [(get_scenario(scenarios, name), seconds) for name, seconds in history]
            states = gpu_states(host, get_scenario(scenarios, clock.scenario), clock.t(now), played)
        except (MockError, LookupError, OSError) as exc:
            raise NVMLError(CODES["Unknown"]) from exc
        snapshot = _Snapshot(now, clock.generation, states)
        with self._lock:
            self._host, self._snapshot = host, snapshot
        return snapshot

    def _device(self, function: str, handle: Any) -> GpuState:
        """The state behind a handle, after the checks every device call makes."""
        self._count(function)
        index = handle.parent if isinstance(handle, MigHandle) else handle.index
        states = self._states().states
        if not 0 <= index < len(states):
            raise NVMLError(CODES["InvalidArgument"])
        state = states[index]
        if state.lost:
            raise NVMLError(CODES["GpuIsLost"])
        unsupported = state.seed.sku.unsupported | (
            MIG_UNSUPPORTED if state.seed.mig_enabled else frozenset()
        )
        if function in unsupported and not isinstance(handle, MigHandle):
            raise NVMLError(CODES["NotSupported"])
        return state

    # --- lifecycle and system ----------------------------------------------------------------

    def nvmlInit(self) -> None:
        with self._lock:
            self.calls["nvmlInit"] += 1
        if not self._db_path.is_file():
            raise NVMLError(CODES["DriverNotLoaded"])
        self._initialised += 1
        try:
            self._states()
        except NVMLError:
            self._initialised -= 1
            raise NVMLError(CODES["DriverNotLoaded"]) from None

    def nvmlShutdown(self) -> None:
        self._count("nvmlShutdown")
        self._initialised = max(0, self._initialised - 1)

    def nvmlSystemGetDriverVersion(self) -> str:
        self._count("nvmlSystemGetDriverVersion")
        return DRIVER_VERSION

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        self._count("nvmlSystemGetCudaDriverVersion")
        return CUDA_DRIVER_VERSION

    def nvmlDeviceGetCount(self) -> int:
        self._count("nvmlDeviceGetCount")
        return len(self._states().states)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> DeviceHandle:
        self._count("nvmlDeviceGetHandleByIndex")
        if not 0 <= index < len(self._states().states):
            raise NVMLError(CODES["InvalidArgument"])
        return DeviceHandle(index)

    # --- identity ----------------------------------------------------------------------------

    def nvmlDeviceGetUUID(self, handle: Any) -> str:
        state = self._device("nvmlDeviceGetUUID", handle)
        return state.seed.mig[handle.slot].uuid if isinstance(handle, MigHandle) else state.seed.uuid

    def nvmlDeviceGetName(self, handle: Any) -> str:
        state = self._device("nvmlDeviceGetName", handle)
        if isinstance(handle, MigHandle):
            return f"{state.seed.name} MIG {state.seed.mig[handle.slot].profile}"
        return state.seed.name

    def nvmlDeviceGetPciInfo(self, handle: Any) -> SimpleNamespace:
        state = self._device("nvmlDeviceGetPciInfo", handle)
        return SimpleNamespace(busId=state.seed.pci_bus_id, busIdLegacy=state.seed.pci_bus_id[4:])

    def nvmlDeviceGetSerial(self, handle: Any) -> str:
        serial = self._device("nvmlDeviceGetSerial", handle).seed.serial
        if serial is None:
            raise NVMLError(CODES["NotSupported"])
        return serial

    def nvmlDeviceGetVbiosVersion(self, handle: Any) -> str:
        return self._device("nvmlDeviceGetVbiosVersion", handle).seed.vbios_version

    def nvmlDeviceGetMinorNumber(self, handle: Any) -> int:
        return self._device("nvmlDeviceGetMinorNumber", handle).seed.index

    def nvmlDeviceGetPersistenceMode(self, handle: Any) -> int:
        self._device("nvmlDeviceGetPersistenceMode", handle)
        return 1

    def nvmlDeviceGetComputeMode(self, handle: Any) -> int:
        self._device("nvmlDeviceGetComputeMode", handle)
        return 0

    # --- load, memory, temperature, power, clocks -------------------------------------------------

    def nvmlDeviceGetPerformanceState(self, handle: Any) -> int:
        return self._device("nvmlDeviceGetPerformanceState", handle).performance_state

    def nvmlDeviceGetFanSpeed(self, handle: Any) -> int:
        state = self._device("nvmlDeviceGetFanSpeed", handle)
        return round(100 * (state.fan_ratio or 0.0))

    def nvmlDeviceGetUtilizationRates(self, handle: Any) -> SimpleNamespace:
        state = self._device("nvmlDeviceGetUtilizationRates", handle)
        return SimpleNamespace(
            gpu=round(100 * state.utilization), memory=round(100 * state.memory_utilization)
        )

    def nvmlDeviceGetEncoderUtilization(self, handle: Any) -> list[int]:
        self._device("nvmlDeviceGetEncoderUtilization", handle)
        return [0, 167000]

    def nvmlDeviceGetDecoderUtilization(self, handle: Any) -> list[int]:
        self._device("nvmlDeviceGetDecoderUtilization", handle)
        return [0, 167000]

    def nvmlDeviceGetMemoryInfo(self, handle: Any, version: int | None = None) -> SimpleNamespace:
        state = self._device("nvmlDeviceGetMemoryInfo", handle)
        if isinstance(handle, MigHandle):
            total, used = state.seed.mig[handle.slot].memory_bytes, state.mig_used[handle.slot]
            return SimpleNamespace(total=total, used=used, free=total - used)
        total, used, reserved = state.seed.memory_total, state.memory_used, state.memory_reserved
        free = total - used - reserved
        if version:
            return SimpleNamespace(version=version, total=total, reserved=reserved, free=free, used=used)
        return SimpleNamespace(total=total, free=free, used=used + reserved)

    def nvmlDeviceGetTemperature(self, handle: Any, sensor: int) -> int:
        return round(self._device("nvmlDeviceGetTemperature", handle).temperature)

    def nvmlDeviceGetFieldValues(self, handle: Any, field_ids: list[int]) -> list[SimpleNamespace]:
        state = self._device("nvmlDeviceGetFieldValues", handle)
        values = []
        for field_id in field_ids:
            known = field_id == CONSTANTS["NVML_FI_DEV_MEMORY_TEMP"] and state.memory_temperature is not None
            reading = round(state.memory_temperature) if known and state.memory_temperature is not None else 0
            values.append(
                SimpleNamespace(
                    fieldId=field_id,
                    valueType=CONSTANTS["NVML_VALUE_TYPE_UNSIGNED_INT"],
                    nvmlReturn=0 if known else CODES["NotSupported"],
                    value=SimpleNamespace(uiVal=reading),
                )
            )
        return values

    def nvmlDeviceGetTemperatureThreshold(self, handle: Any, threshold: int) -> int:
        seed = self._device("nvmlDeviceGetTemperatureThreshold", handle).seed
        value = {
            0: seed.temp_shutdown_c,
            1: seed.temp_slowdown_c,
            2: seed.temp_memory_max_c,
            3: seed.temp_max_operating_c,
        }.get(threshold)
        if value is None:
            raise NVMLError(CODES["NotSupported"])
        return round(value)

    def nvmlDeviceGetPowerUsage(self, handle: Any) -> int:
        return round(1000 * self._device("nvmlDeviceGetPowerUsage", handle).power_w)

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: Any) -> int:
        return round(1000 * self._device("nvmlDeviceGetEnforcedPowerLimit", handle).power_limit_w)

    def nvmlDeviceGetPowerManagementDefaultLimit(self, handle: Any) -> int:
        return round(
            1000 * self._device("nvmlDeviceGetPowerManagementDefaultLimit", handle).seed.power_default_w
        )

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: Any) -> int:
        return int(1000 * self._device("nvmlDeviceGetTotalEnergyConsumption", handle).energy_j)

    def _clock_mhz(self, state: GpuState, kind: int, maximum: bool) -> int:
        seed = state.seed
        if kind == CONSTANTS["NVML_CLOCK_MEM"]:
            return seed.memory_clock_max_mhz if maximum else state.memory_clock_mhz
        return seed.sm_clock_max_mhz if maximum else state.sm_clock_mhz

    def nvmlDeviceGetClockInfo(self, handle: Any, kind: int) -> int:
        return self._clock_mhz(self._device("nvmlDeviceGetClockInfo", handle), kind, maximum=False)

    def nvmlDeviceGetMaxClockInfo(self, handle: Any, kind: int) -> int:
        return self._clock_mhz(self._device("nvmlDeviceGetMaxClockInfo", handle), kind, maximum=True)

    def nvmlDeviceGetCurrentClocksEventReasons(self, handle: Any) -> int:
        return self._device("nvmlDeviceGetCurrentClocksEventReasons", handle).reasons

    def nvmlDeviceGetCurrentClocksThrottleReasons(self, handle: Any) -> int:
        return self._device("nvmlDeviceGetCurrentClocksThrottleReasons", handle).reasons

    # --- PCIe, ECC, MIG, NVLink ----------------------------------------------------------------

    def nvmlDeviceGetCurrPcieLinkGeneration(self, handle: Any) -> int:
        return self._device("nvmlDeviceGetCurrPcieLinkGeneration", handle).pcie_generation

    def nvmlDeviceGetCurrPcieLinkWidth(self, handle: Any) -> int:
        return self._device("nvmlDeviceGetCurrPcieLinkWidth", handle).seed.pcie_width_max

    def nvmlDeviceGetPcieReplayCounter(self, handle: Any) -> int:
        return self._device("nvmlDeviceGetPcieReplayCounter", handle).pcie_replays

    def nvmlDeviceGetPcieThroughput(self, handle: Any, counter: int) -> int:
        state = self._device("nvmlDeviceGetPcieThroughput", handle)
        return round(state.utilization * (180_000 if counter == 0 else 420_000))  # KB/s

    def nvmlDeviceGetTotalEccErrors(self, handle: Any, error_type: int, counter_type: int) -> int:
        return self._device("nvmlDeviceGetTotalEccErrors", handle).ecc[(error_type, counter_type)]

    def nvmlDeviceGetRetiredPages(self, handle: Any, cause: int) -> list[int]:
        self._device("nvmlDeviceGetRetiredPages", handle)
        return []

    def nvmlDeviceGetRemappedRows(self, handle: Any) -> tuple[int, int, int, int]:
        corrected, uncorrected, pending, failed = self._device(
            "nvmlDeviceGetRemappedRows", handle
        ).remapped_rows
        return corrected, uncorrected, int(pending), int(failed)

    def nvmlDeviceGetMigMode(self, handle: Any) -> list[int]:
        mode = int(self._device("nvmlDeviceGetMigMode", handle).seed.mig_enabled)
        return [mode, mode]

    def nvmlDeviceGetMaxMigDeviceCount(self, handle: Any) -> int:
        self._device("nvmlDeviceGetMaxMigDeviceCount", handle)
        return 7

    def nvmlDeviceGetMigDeviceHandleByIndex(self, handle: Any, slot: int) -> MigHandle:
        state = self._device("nvmlDeviceGetMigDeviceHandleByIndex", handle)
        if not state.seed.mig_enabled:
            raise NVMLError(CODES["InvalidArgument"])
        if slot >= len(state.seed.mig):
            raise NVMLError(CODES["NotFound"])
        return MigHandle(handle.index, slot)

    def nvmlDeviceGetGpuInstanceId(self, handle: MigHandle) -> int:
        return self._device("nvmlDeviceGetGpuInstanceId", handle).seed.mig[handle.slot].gpu_instance_id

    def nvmlDeviceGetComputeInstanceId(self, handle: MigHandle) -> int:
        return (
            self._device("nvmlDeviceGetComputeInstanceId", handle).seed.mig[handle.slot].compute_instance_id
        )

    def nvmlDeviceGetNvLinkState(self, handle: Any, link: int) -> int:
        state = self._device("nvmlDeviceGetNvLinkState", handle)
        if link >= state.seed.sku.nvlinks:
            raise NVMLError(CODES["InvalidArgument"])
        return 1

    def nvmlDeviceGetNvLinkErrorCounter(self, handle: Any, link: int, counter: int) -> int:
        state = self._device("nvmlDeviceGetNvLinkErrorCounter", handle)
        if link >= state.seed.sku.nvlinks:
            raise NVMLError(CODES["InvalidArgument"])
        return 0

    # --- processes ------------------------------------------------------------------------------

    def _running(self, function: str, handle: Any, kind: str) -> list[SimpleNamespace]:
        state = self._device(function, handle)
        return [
            SimpleNamespace(
                pid=process.pid, usedGpuMemory=used, gpuInstanceId=0xFFFFFFFF, computeInstanceId=0xFFFFFFFF
            )
            for process, used in state.processes
            if process.kind == kind
        ]

    def nvmlDeviceGetComputeRunningProcesses(self, handle: Any) -> list[SimpleNamespace]:
        return self._running("nvmlDeviceGetComputeRunningProcesses", handle, "compute")

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle: Any) -> list[SimpleNamespace]:
        return self._running("nvmlDeviceGetGraphicsRunningProcesses", handle, "graphics")

    # --- events ---------------------------------------------------------------------------------

    def nvmlEventSetCreate(self) -> _EventSet:
        self._count("nvmlEventSetCreate")
        return _EventSet(set(), set())

    def nvmlDeviceRegisterEvents(self, handle: Any, event_types: int, event_set: _EventSet) -> None:
        """Register a GPU; XIDs already raised are not replayed (NVML cannot either)."""
        self._device("nvmlDeviceRegisterEvents", handle)
        event_set.devices.add(handle.index)
        event_set.delivered |= set(self._pending(event_set, only=handle.index))

    def _pending(self, event_set: _EventSet, only: int | None = None) -> list[tuple[int, int, float, int]]:
        snapshot = self._states()
        return [
            (snapshot.generation, state.seed.index, at, code)
            for state in snapshot.states
            if state.seed.index in event_set.devices and only in (None, state.seed.index)
            for at, code in state.xids
            if (snapshot.generation, state.seed.index, at, code) not in event_set.delivered
        ]

    def nvmlEventSetWait(self, event_set: _EventSet, timeout_ms: int) -> SimpleNamespace:
        self._count("nvmlEventSetWait")
        deadline = time.monotonic() + timeout_ms / 1000.0
        while True:
            pending = self._pending(event_set)
            if pending:
                event = pending[0]
                event_set.delivered.add(event)
                return SimpleNamespace(
                    device=DeviceHandle(event[1]),
                    eventType=CONSTANTS["nvmlEventTypeXidCriticalError"],
                    eventData=event[3],
                    gpuInstanceId=0xFFFFFFFF,
                    computeInstanceId=0xFFFFFFFF,
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NVMLError(CODES["Timeout"])
            time.sleep(min(remaining, EVENT_POLL_S))

    def nvmlEventSetFree(self, event_set: _EventSet) -> None:
        self._count("nvmlEventSetFree")
