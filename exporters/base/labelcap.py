"""Caps on label values that come from user data, so one tenant cannot blow up the series count.

A ``LabelCap`` admits the first ``limit`` distinct values it sees and maps every later one to
``OVERFLOW``: totals stay complete (the overflow series carries the rest) while the number of series
stays bounded. The values it turned away are counted once each, for a "label values dropped" counter.
Values longer than ``MAX_VALUE_LENGTH`` are cut first, so a runaway string cannot make one huge label.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

OVERFLOW = "other"
MAX_VALUE_LENGTH = 64


def short(value: Any) -> str:
    """The value as a label: a string of at most MAX_VALUE_LENGTH characters."""
    return str(value)[:MAX_VALUE_LENGTH]


class LabelCap:
    """First come, first labelled; the rest share ``OVERFLOW``. Thread-safe; state lives for the process
    unless ``admitted`` hands in the values a previous process had admitted (restored state)."""

    def __init__(self, limit: int, admitted: Iterable[str] = ()) -> None:
        self._limit = limit
        self._admitted: set[str] = set()
        self._dropped: set[str] = set()
        self._lock = threading.Lock()
        self.admit(admitted)

    def admit(self, values: Iterable[str]) -> None:
        """Admit values first (those a previous run admitted, from its state file), up to the limit,
        so a restart gives every value the label it had and no counter moves to ``OVERFLOW``."""
        with self._lock:
            for value in values:
                if len(self._admitted) >= self._limit:
                    break
                self._admitted.add(value)

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

    @property
    def admitted(self) -> list[str]:
        """The admitted values, sorted: what a state file saves so a restart keeps the same labels."""
        with self._lock:
            return sorted(self._admitted)
