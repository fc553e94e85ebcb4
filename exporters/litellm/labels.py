"""Label values from user data: keys named without their secret, and caps on how many values exist.

A key is labelled by its alias, else ``hash:`` and the first 8 hex digits of LiteLLM's token (itself
the SHA-256 of the key), so the secret never becomes a label. Values longer than ``MAX_VALUE_LENGTH``
are cut. A ``LabelCap`` admits the first ``limit`` values it sees and maps every later one to
``OVERFLOW``, so spend and request totals stay complete while the series count stays bounded; the
values it turned away are counted once each.
"""

from __future__ import annotations

import threading
from typing import Any

OVERFLOW = "other"
MAX_VALUE_LENGTH = 64
_HASH_PREFIX = 8


def short(value: Any) -> str:
    return str(value)[:MAX_VALUE_LENGTH]


def key_label(token: str, alias: Any) -> str:
    if isinstance(alias, str) and alias.strip():
        return short(alias.strip())
    return f"hash:{str(token)[:_HASH_PREFIX]}"


class LabelCap:
    """First come, first labelled; the rest share ``OVERFLOW``. Thread-safe; state lives for the process."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._admitted: set[str] = set()
        self._dropped: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        with self._lock:
            if value in self._admitted:
                return value
            if len(self._admitted) < self._limit:
                self._admitted.add(value)
                return value
            self._dropped.add(value)
            return OVERFLOW

    @property
    def dropped(self) -> int:
        with self._lock:
            return len(self._dropped)
