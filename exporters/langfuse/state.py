"""The optional state file: watermarks, remembered ids and totals, saved together after every poll.

Saved as one JSON document replaced atomically, so the ids and the totals on disk always agree: a
restart resumes counting exactly where the saved poll ended (no event twice, none lost up to
``--poll.max-window`` per catch-up poll). The file names its Langfuse by a fingerprint of the URL and
public key (never the key itself); a file written for another project, an unreadable or a corrupt one
is ignored with one warning, and counting starts over from a baseline.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
FORMAT = 1


def fingerprint(url: str, public_key: str) -> str:
    return hashlib.sha256(f"{url}\n{public_key}".encode()).hexdigest()[:16]


class StateFile:
    """Load once at start, save on demand; no file configured means every method does nothing."""

    def __init__(self, path: Path | None, target: str) -> None:
        self._path = path
        self._target = target
        self._lock = threading.Lock()

    def load(self) -> dict[str, Any]:
        if self._path is None or not self._path.exists():
            return {}
        try:
            document = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning(
                "state file unusable, counting starts over",
                extra={"file": str(self._path), "error": type(exc).__name__},
            )
            return {}
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            log.warning(
                "state file has an unknown format, counting starts over", extra={"file": str(self._path)}
            )
            return {}
        if document.get("target") != self._target:
            log.warning(
                "state file belongs to another Langfuse project, counting starts over",
                extra={"file": str(self._path)},
            )
            return {}
        return document

    def save(self, gather: Callable[[], dict[str, Any]]) -> None:
        """Write what ``gather`` returns (called under the lock, so two savers never interleave)."""
        if self._path is None:
            return
        with self._lock:
            document = {"format": FORMAT, "target": self._target, **gather()}
            partial = self._path.with_name(f".{self._path.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
            os.replace(partial, self._path)
