"""XID errors from NVML's event API, watched by a thread outside the scrape.

XIDs are only visible as events: nothing can be polled at scrape time, and events from before the
exporter started cannot be replayed. The watcher registers ``nvmlEventTypeXidCriticalError`` on every GPU
(a GPU answering NotSupported is skipped: NVML says the event set is still usable) and waits with a
timeout so it notices ``stop()`` within a second. If waiting fails with anything but a timeout, it frees
the set and registers again with exponential backoff (1 s to 30 s), so a driver hiccup does not end it.

Counts are kept here and survive collection failures, so the counters never reset while the process lives.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from exporters.gpu.nvml import NOT_SUPPORTED, TIMEOUT, Nvml, error_code

log = logging.getLogger(__name__)

WAIT_MS = 1000
BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 30.0


@dataclass(frozen=True)
class XidKey:
    gpu: str  # index as a label value
    uuid: str
    xid: str


def handle_key(handle: Any) -> Hashable:
    """A key equal for two handles of the same GPU: the address a ctypes handle (pynvml's
    c_nvmlDevice_t) points to, else the handle itself when it compares by value, else its identity."""
    if isinstance(handle, ctypes._Pointer):
        return ctypes.cast(handle, ctypes.c_void_p).value or 0
    return handle if isinstance(handle, Hashable) else id(handle)


class XidWatcher:
    """Counts XID events per (gpu, uuid, xid) with the time each was last seen."""

    def __init__(self, nvml: Nvml, clock: Callable[[], float] = time.time) -> None:
        self._nvml = nvml
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[XidKey, int] = {}
        self._last_seen: dict[XidKey, float] = {}
        self._devices: dict[Hashable, tuple[str, str]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, devices: Sequence[tuple[int, str, Any]]) -> None:
        """Watch these (index, uuid, handle) GPUs; a second call while running does nothing."""
        if self._thread is not None:
            return
        self._devices = {handle_key(handle): (str(index), uuid) for index, uuid, handle in devices}
        handles = [handle for _, _, handle in devices]
        self._thread = threading.Thread(target=self._run, args=(handles,), name="xid-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=(WAIT_MS / 1000.0) * 3)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def snapshot(self) -> tuple[dict[XidKey, int], dict[XidKey, float]]:
        with self._lock:
            return dict(self._counts), dict(self._last_seen)

    def record(self, device: Any, xid: int) -> None:
        """Count one XID event from the GPU with this handle."""
        gpu, uuid = self._devices.get(handle_key(device), ("unknown", "unknown"))
        key = XidKey(gpu, uuid, str(int(xid)))
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            self._last_seen[key] = self._clock()
        log.warning("gpu xid error", extra={"gpu": gpu, "uuid": uuid, "xid": int(xid)})

    def _register(self, handles: Sequence[Any]) -> Any:
        event_set = self._nvml.call("nvmlEventSetCreate")
        xid_type = self._nvml.constant("nvmlEventTypeXidCriticalError")
        for handle in handles:
            try:
                self._nvml.call("nvmlDeviceRegisterEvents", handle, xid_type, event_set)
            except Exception as exc:
                if not self._nvml.is_error(exc) or error_code(exc) != NOT_SUPPORTED:
                    self._nvml.call("nvmlEventSetFree", event_set)
                    raise
        return event_set

    def _run(self, handles: Sequence[Any]) -> None:
        backoff = BACKOFF_START_S
        xid_type = self._nvml.constant("nvmlEventTypeXidCriticalError")
        while not self._stop.is_set():
            try:
                event_set = self._register(handles)
            except Exception as exc:
                self._nvml.count_error(exc)
                log.warning("cannot watch xid events; retrying", extra={"err": str(exc), "retry_s": backoff})
                self._stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            backoff = BACKOFF_START_S
            try:
                self._wait_loop(event_set, xid_type)
            finally:
                try:
                    self._nvml.call("nvmlEventSetFree", event_set)
                except Exception as exc:  # freeing a set of a vanished driver: nothing left to do
                    log.debug("freeing the xid event set failed", extra={"err": str(exc)})

    def _wait_loop(self, event_set: Any, xid_type: int) -> None:
        """Wait for events until stopped; returns on an error so the caller registers again."""
        while not self._stop.is_set():
            try:
                data = self._nvml.call("nvmlEventSetWait", event_set, WAIT_MS)
            except Exception as exc:
                if self._nvml.is_error(exc) and error_code(exc) == TIMEOUT:
                    continue
                self._nvml.count_error(exc)
                log.warning("xid event wait failed; registering again", extra={"err": str(exc)})
                self._stop.wait(BACKOFF_START_S)
                return
            if int(data.eventType) & xid_type:
                self.record(data.device, int(data.eventData))
