"""Which containers are exported: name and label filters, then a cap with a count of what was dropped."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from exporters.container.parse import Summary


def _label_matches(labels: dict[str, str], selector: str) -> bool:
    key, sep, value = selector.partition("=")
    return key in labels and (not sep or labels[key] == value)


class ContainerFilter:
    """Name regexes (re.search) and label selectors ("name" or "name=value"); empty means no filter."""

    def __init__(
        self,
        include: str = "",
        exclude: str = "",
        label_include: Sequence[str] = (),
        label_exclude: Sequence[str] = (),
    ) -> None:
        self._include = re.compile(include) if include else None
        self._exclude = re.compile(exclude) if exclude else None
        self._label_include = list(label_include)
        self._label_exclude = list(label_exclude)

    def keeps(self, name: str, labels: dict[str, str]) -> bool:
        if self._include is not None and not self._include.search(name):
            return False
        if self._exclude is not None and self._exclude.search(name):
            return False
        if not all(_label_matches(labels, s) for s in self._label_include):
            return False
        return not any(_label_matches(labels, s) for s in self._label_exclude)


class Cap:
    """At most ``limit`` containers, chosen by name so the same ones stay across cycles.

    ``dropped_total`` counts each container id once, the first cycle it is left out, so the counter
    says how many distinct containers the cap has hidden rather than growing every cycle.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._dropped_ids: set[str] = set()
        self._lock = threading.Lock()
        self.dropped_total = 0

    def apply(self, containers: Sequence[Summary]) -> list[Summary]:
        ordered = sorted(containers, key=lambda c: c.name)
        kept, dropped = ordered[: self.limit], ordered[self.limit :]
        with self._lock:
            for container in dropped:
                if container.id not in self._dropped_ids:
                    self._dropped_ids.add(container.id)
                    self.dropped_total += 1
            # Forget removed containers so the set stays bounded by what the daemon lists.
            self._dropped_ids &= {c.id for c in dropped}
        return kept
