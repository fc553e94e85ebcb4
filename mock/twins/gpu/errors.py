"""NVMLError and its subclasses as nvidia-ml-py defines them: same class names, same ``value`` codes.

``NVMLError(3)`` returns an ``NVMLError_NotSupported``, like pynvml's, so code written against the
real binding (``except module.NVMLError_NotSupported``, ``exc.value == 3``) behaves the same on the twin.
"""

from __future__ import annotations

from typing import Any

CODES: dict[str, int] = {
    "Uninitialized": 1,
    "InvalidArgument": 2,
    "NotSupported": 3,
    "NoPermission": 4,
    "AlreadyInitialized": 5,
    "NotFound": 6,
    "InsufficientSize": 7,
    "InsufficientPower": 8,
    "DriverNotLoaded": 9,
    "Timeout": 10,
    "IrqIssue": 11,
    "LibraryNotFound": 12,
    "FunctionNotFound": 13,
    "CorruptedInforom": 14,
    "GpuIsLost": 15,
    "ResetRequired": 16,
    "OperatingSystem": 17,
    "LibRmVersionMismatch": 18,
    "InUse": 19,
    "Memory": 20,
    "NoData": 21,
    "Unknown": 999,
}


class NVMLError(Exception):
    """Base of every NVML error; ``value`` is the NVML return code."""

    _by_code: dict[int, type[NVMLError]] = {}
    value: int

    def __new__(cls, value: int, *args: Any) -> NVMLError:
        target = NVMLError._by_code.get(value, NVMLError) if cls is NVMLError else cls
        obj = Exception.__new__(target)
        obj.value = value
        return obj

    def __init__(self, value: int, *args: Any) -> None:
        super().__init__(value)

    def __str__(self) -> str:
        for name, code in CODES.items():
            if code == self.value:
                return " ".join(_words(name))
        return f"NVML error {self.value}"


def _words(name: str) -> list[str]:
    out: list[str] = []
    for char in name:
        if char.isupper() and out:
            out.append(" ")
        out.append(char)
    return ["".join(out)]


def _subclass(name: str, code: int) -> type[NVMLError]:
    def new(cls: type[NVMLError], *args: Any) -> NVMLError:
        return NVMLError.__new__(cls, code)

    def init(self: NVMLError, *args: Any) -> None:
        Exception.__init__(self, code)

    cls = type(f"NVMLError_{name}", (NVMLError,), {"__new__": new, "__init__": init})
    NVMLError._by_code[code] = cls
    return cls


ERROR_CLASSES: dict[str, type[NVMLError]] = {f"NVMLError_{n}": _subclass(n, c) for n, c in CODES.items()}
