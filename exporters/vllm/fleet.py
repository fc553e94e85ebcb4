"""The fleet: every discovered engine polled concurrently once per cycle, re-exposed as one set.

One background source (``engines``) runs a cycle every ``--collect.interval``: it takes the merged
target list, polls all engines on a fixed pool of ``--vllm.concurrency`` threads (each call bounded by
``--vllm.timeout``), then merges the pages. A failing engine fails only itself (its ``llmon_vllm_up``
is 0 and its errors are counted); the source fails only on a bug. Engines whose target disappears are
forgotten with their series; an engine whose deployment now points elsewhere starts afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

from prometheus_client import Metric

from exporters.base import Source
from exporters.vllm.engine import EnginePoller, EngineState, ServedModel
from exporters.vllm.families import engine_families, own_families
from exporters.vllm.targets import TargetRegistry


class EnginesSource(Source):
    """Polls every engine each cycle and serves their merged families plus llmon_vllm_* metrics."""

    name = "engines"
    background = True

    def __init__(self, registry: TargetRegistry, poller: EnginePoller, concurrency: int) -> None:
        self._registry = registry
        self._poller = poller
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="vllm-poll")
        self._states: dict[str, EngineState] = {}
        self._lock = threading.Lock()
        self._served: list[tuple[str, ServedModel]] = []

    def collect(self) -> Iterator[Metric]:
        states = self._sync_states()
        list(self._pool.map(self._poller.poll, states))
        with self._lock:
            self._served = [(s.target.deployment, m) for s in states for m in s.models]
        families = [*engine_families(states), *own_families(states, self._registry)]
        return iter(families)

    def take_partial_errors(self) -> Mapping[str, int]:
        """Engines that failed count in llmon_exporter_collect_errors_total without failing the fleet."""
        return self._poller.take_partial_errors()

    def served_models(self) -> list[tuple[str, ServedModel]]:
        """(deployment, model) of every engine as of the last cycle, for the metadata source."""
        with self._lock:
            return list(self._served)

    def _sync_states(self) -> list[EngineState]:
        targets = self._registry.targets()
        fresh: dict[str, EngineState] = {}
        for target in targets:
            known = self._states.get(target.deployment)
            fresh[target.deployment] = (
                known if known and known.target.key == target.key else EngineState(target)
            )
            fresh[target.deployment].target = target
        self._states = fresh
        return list(fresh.values())

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
