"""The twins: stand-ins for the systems llmon's exporters read, driven by the scenario database.

Every twin runs as ``llmon-mock twin <name>`` until the native stack (or a person) stops it with
SIGTERM or SIGINT; the helpers here are that shared lifetime.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


def stop_on_signals(stop: threading.Event) -> None:
    """Set ``stop`` on SIGTERM or SIGINT, so the process shuts its servers down instead of dying mid-write."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def wait_for_stop_signal() -> None:
    """Block the main thread until SIGTERM or SIGINT; the twin serves from its own threads meanwhile."""
    stop = threading.Event()
    stop_on_signals(stop)
    stop.wait()
