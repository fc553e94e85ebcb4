"""The Source contract: the one piece of an exporter that talks to its upstream."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
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
    #: CollectError reasons after which a background source's last good snapshot is still served
    #: (``llmon_exporter_up`` 0, the error counted and logged as usual) instead of being dropped. For
    #: an upstream that refused on purpose and said when to come back (HTTP 429 with Retry-After):
    #: its figures did not become unknown, the exporter was told to wait, and dropping them would
    #: break every rate() and recording rule over them for the length of the backoff. Any other
    #: failure, or a call that overruns the timeout, still drops the snapshot; the age of what is
    #: served is ``time() - llmon_exporter_last_success_timestamp_seconds``. Empty: keep nothing.
    keep_snapshot_on: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def collect(self) -> Iterable[Metric]:
        """Build new metric families from the upstream; raise CollectError when it fails."""

    def describe(self) -> Iterable[Metric]:
        """Families known without touching the upstream, used at registration to detect clashes."""
        return ()

    def take_partial_errors(self) -> Mapping[str, int]:
        """Failures that cost the last collect() some series but not the whole collection, by reason.

        An upstream answering for ten things can fail for one (a GPU field NVML refuses, a container
        removed between list and stats). Failing the source would hide the nine that worked, and
        ignoring the failure would hide it from ``llmon_exporter_collect_errors_total``. So the source
        tallies such failures under a reason of REASONS and hands the tally over here; the base calls
        this once after every collect() (succeeded or not), adds the counts to the error counter and
        leaves ``llmon_exporter_up`` alone. Return only what happened since the previous call. An
        unknown reason is counted as "internal". The default: nothing partial ever fails.
        """
        return {}

    def close(self) -> None:
        """Release what the source holds open (watcher threads, pools, connections) when the exporter
        stops. Called once, after the collection loops have ended; the default holds nothing."""
        return
