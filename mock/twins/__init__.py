"""The twins: stand-ins for the systems llmon's exporters read, driven by the scenario database.

Every twin runs as ``llmon-mock twin <name>`` until the native stack (or a person) stops it with
SIGTERM or SIGINT; the helpers here are that shared lifetime.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import FrameType

from mock.errors import MockError


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


def read_secret(flag: str, path: str | None, env: str | None) -> str | None:
    """A key from its file (trailing newline dropped) or environment variable; None when neither is given."""
    if path:
        try:
            key = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MockError(f"--{flag}: cannot read {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise MockError(f"--{flag}: {path} is not UTF-8 text") from None
        if not key:
            raise MockError(f"--{flag}: {path} is empty")
        return key
    value = os.environ.get(env, "").strip() if env else ""
    return value or None
