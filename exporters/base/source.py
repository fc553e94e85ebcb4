"""The Source contract: the one piece of an exporter that talks to its upstream."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import ClassVar

from prometheus_client import Metric


class Source(ABC):
    """One upstream (a procfs file, an HTTP API, ...) turned into fresh metric families on each call.

    ``name`` is the value of the ``source`` label of the self-metrics. A Source with ``background =
    True`` is collected on the background loop every ``--collect.interval`` (bounded by
    ``--collect.timeout``) and scrapes serve its last snapshot: use it for upstreams that can be slow or
    rate-limited, so a scrape never waits on them. Otherwise it is collected during each scrape.
    """

    name: str
    background: ClassVar[bool] = False

    @abstractmethod
    def collect(self) -> Iterable[Metric]:
        """Build new metric families from the upstream; raise CollectError when it fails."""

    def describe(self) -> Iterable[Metric]:
        """Families known without touching the upstream, used at registration to detect clashes."""
        return ()

    def close(self) -> None:
        """Release what the source holds open (watcher threads, pools, connections) when the exporter
        stops. Called once, after the collection loops have ended; the default holds nothing."""
        return
