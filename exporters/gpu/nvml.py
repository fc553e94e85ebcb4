"""The NVML access layer: the only code in llmon that calls NVML functions.

It is constructed with the NVML module injected: ``pynvml`` (nvidia-ml-py) on a real host, the twin's
stand-in (mock/twins/gpu) under ``--gpu.backend=mock``. Errors are caught through the injected module's
own ``NVMLError`` classes, so both behave the same way here.

What NVML answers per call decides what happens next:
- NotSupported, NoPermission, FunctionNotFound (old driver) and a binding without the function: the
  field does not exist on that GPU. The (GPU, field) pair is remembered and never asked again, and the
  series is omitted rather than reported as a fake zero.
- GpuIsLost: the GPU fell off the bus (XID 79); the caller marks it down and skips its other fields.
- anything else (Timeout, Unknown, ...): a transient failure of that one field; it is counted by error
  name and the field is omitted from this scrape only.

Every failed call also lands in a tally by reason of ``llmon_exporter_collect_errors_total`` (see
``REASON_BY_CODE``), handed to the base through ``take_partial_errors``: the scrape still succeeds. An
absent field counts there once, the first time NVML refuses it; after that it is not asked again.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from types import ModuleType
from typing import Any

#: NVML return codes (nvml.h; identical in every binding).
INVALID_ARGUMENT = 2
NOT_SUPPORTED = 3
NO_PERMISSION = 4
NOT_FOUND = 6
TIMEOUT = 10
FUNCTION_NOT_FOUND = 13
GPU_IS_LOST = 15
#: Codes meaning "this GPU never has this field": remembered, not retried.
ABSENT_CODES = frozenset({NOT_SUPPORTED, NO_PERMISSION, FUNCTION_NOT_FOUND})
#: NVML return code -> reason label of llmon_exporter_collect_errors_total (exporters.base.REASONS).
#: Any other NVML code (Unknown, Corrupted InfoROM, InsufficientPower, ...) is the device failing to
#: answer, "io"; an exception that is no NVML error at all is "internal".
REASON_BY_CODE = {
    NOT_SUPPORTED: "unsupported",
    FUNCTION_NOT_FOUND: "unsupported",
    NO_PERMISSION: "auth",
    TIMEOUT: "timeout",
    GPU_IS_LOST: "unreachable",
}

#: nvmlFieldValue_t.valueType -> the member of the value union holding it.
_FIELD_VALUE_MEMBERS = {0: "dVal", 1: "uiVal", 2: "ulVal", 3: "ullVal", 4: "sllVal", 5: "siVal", 6: "usVal"}


#: What converting an answer of the wrong shape raises (None where a number belongs, a struct without
#: its members, a string that is no number). A binding or driver bug, not an NVML error code: the
#: field group that got it is dropped from this scrape and counted as "malformed".
MALFORMED_ANSWER = (TypeError, ValueError, AttributeError, IndexError, KeyError, OverflowError)


class GpuLostError(Exception):
    """NVML answered GpuIsLost for a GPU: it is gone until the driver is reloaded."""


class Unavailable:
    """Sentinel for a field NVML cannot give now or ever; the collector omits its series."""

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE: Any = Unavailable()


def error_code(exc: BaseException) -> int | None:
    """The NVML return code an exception carries (pynvml's NVMLError.value), if any."""
    value = getattr(exc, "value", None)
    return value if isinstance(value, int) else None


class Nvml:
    """Calls into one NVML module, remembering absent fields per GPU and counting failures."""

    def __init__(self, module: ModuleType | Any) -> None:
        self.module = module
        self._error_class: type[BaseException] = module.NVMLError
        self._absent: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self.errors: Counter[str] = Counter()
        self._partial: Counter[str] = Counter()

    def constant(self, name: str) -> Any:
        return getattr(self.module, name)

    def error_name(self, exc: BaseException) -> str:
        """A bounded name for an NVML error: the binding's subclass name without its prefix."""
        return (
            type(exc).__name__.removeprefix("NVMLError_") if isinstance(exc, self._error_class) else "other"
        )

    def is_error(self, exc: BaseException) -> bool:
        return isinstance(exc, self._error_class)

    def reason(self, exc: BaseException) -> str:
        """The collect-errors reason of a failed call (see REASON_BY_CODE)."""
        if not self.is_error(exc):
            return "internal"
        return REASON_BY_CODE.get(error_code(exc) or 0, "io")

    def take_partial_errors(self) -> Counter[str]:
        """Failed calls by reason since the previous take (Source.take_partial_errors)."""
        with self._lock:
            tally, self._partial = self._partial, Counter()
        return tally

    def count_partial(self, reason: str) -> None:
        """Tally a failure for collect_errors_total only (absent fields, lost GPUs: not transient)."""
        with self._lock:
            self._partial[reason] += 1

    def call(self, function: str, *args: Any, **kwargs: Any) -> Any:
        """Call an NVML function by name; NVML errors propagate (lifecycle and enumeration calls)."""
        fn: Callable[..., Any] = getattr(self.module, function)
        return fn(*args, **kwargs)

    def absent(self, gpu: str, field: str) -> bool:
        with self._lock:
            return (gpu, field) in self._absent

    def mark_absent(self, gpu: str, field: str) -> None:
        with self._lock:
            self._absent.add((gpu, field))

    def count_error(self, exc: BaseException) -> None:
        """A transient failure: in llmon_gpu_nvml_errors_total by error name, and in the reason tally."""
        name, reason = self.error_name(exc), self.reason(exc)
        with self._lock:
            self.errors[name] += 1
            self._partial[reason] += 1

    def read(
        self, gpu: str, field: str, function: str, *args: Any, absent_codes: frozenset[int] = ABSENT_CODES
    ) -> Any:
        """One field of one GPU, or UNAVAILABLE; raises GpuLostError when the GPU is lost.

        ``gpu`` is the GPU's UUID (stable across re-enumeration), ``field`` the llmon name of what is read;
        ``absent_codes`` are the return codes that mean the field does not exist (remembered).
        """
        if self.absent(gpu, field):
            return UNAVAILABLE
        fn = getattr(self.module, function, None)
        if fn is None:  # a binding older than the function
            self.mark_absent(gpu, field)
            self.count_partial("unsupported")
            return UNAVAILABLE
        try:
            return fn(*args)
        except self._error_class as exc:
            return self._failed(gpu, field, exc, absent_codes)

    def field_value(self, gpu: str, field: str, handle: Any, field_id: int) -> Any:
        """One value of nvmlDeviceGetFieldValues, whose per-field return code counts like a call's."""
        values = self.read(gpu, field, "nvmlDeviceGetFieldValues", handle, [field_id])
        if values is UNAVAILABLE:
            return UNAVAILABLE
        entry = values[0]
        if entry.nvmlReturn != 0:
            return self._failed(gpu, field, self.module.NVMLError(entry.nvmlReturn))
        return getattr(entry.value, _FIELD_VALUE_MEMBERS.get(entry.valueType, "ullVal"))

    def _failed(
        self, gpu: str, field: str, exc: BaseException, absent_codes: frozenset[int] = ABSENT_CODES
    ) -> Any:
        code = error_code(exc)
        if code == GPU_IS_LOST:
            self.count_partial(self.reason(exc))
            raise GpuLostError(str(exc)) from None
        if code in absent_codes:
            self.mark_absent(gpu, field)
            if code in ABSENT_CODES:  # the caller's extra codes ("no such NVLink") are answers, not errors
                self.count_partial(REASON_BY_CODE[code])
        else:
            self.count_error(exc)
        return UNAVAILABLE
