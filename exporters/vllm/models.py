"""llmon_model_*: Hugging Face metadata of every served model, looked up in the background.

A source of its own (``models``), so a slow Hub never delays the engines' cycle. Results are kept for
``--models.refresh-interval``; a failed lookup is retried after a backoff that starts at one collect
interval and doubles up to an hour, so a model missing from the Hub costs one call per backoff, not one
per cycle, and the failure is counted per model and reason. One call looks up models only while it has
time left (half the collect timeout), and always serves every result it has.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporters.base import Source
from exporters.vllm.engine import ServedModel
from exporters.vllm.hub import HubLookup
from exporters.vllm.metadata import MetadataError, ModelMetadata

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 3600.0


@dataclass
class _Entry:
    metadata: ModelMetadata | None = None
    next_lookup: float = 0.0
    failures: int = 0


class ModelsSource(Source):
    """Metadata per served model name, from the model's root (what vLLM loaded)."""

    name = "models"
    background = True

    def __init__(
        self,
        served: Callable[[], list[tuple[str, ServedModel]]],
        hub: HubLookup,
        *,
        refresh: float,
        retry: float,
        budget: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._served = served
        self._hub = hub
        self._refresh = refresh
        self._retry = retry
        self._budget = budget
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._errors: Counter[tuple[str, str]] = Counter()

    def collect(self) -> Iterator[Metric]:
        roots: dict[str, str] = {}
        for _, model in self._served():
            if not model.parent:  # a LoRA adapter has its base model's metadata
                roots.setdefault(model.id, model.root)
        started = self._clock()
        for model_name, root in sorted(roots.items()):
            if self._clock() - started > self._budget:
                break
            self._maybe_lookup(model_name, root)
        return self._families(roots)

    def _maybe_lookup(self, model_name: str, root: str) -> None:
        entry = self._entries.setdefault(root, _Entry())
        now = self._clock()
        if now < entry.next_lookup:
            return
        try:
            entry.metadata = self._hub.lookup(root)
        except MetadataError as error:
            entry.failures += 1
            entry.next_lookup = now + min(MAX_BACKOFF_S, self._retry * 2 ** (entry.failures - 1))
            self._errors[(model_name, error.reason)] += 1
            log.info("model metadata not found", extra={"model": model_name, "error": error.message})
            return
        entry.failures = 0
        entry.next_lookup = now + self._refresh

    def _families(self, roots: dict[str, str]) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "llmon_model_info", "Hugging Face metadata of a served model, value 1.",
            labels=["model_name", "architecture", "dtype", "quantization", "license"],
        )  # fmt: skip
        parameters = GaugeMetricFamily(
            "llmon_model_parameters", "Parameters of the served model (safetensors).", labels=["model_name"]
        )
        context = GaugeMetricFamily(
            "llmon_model_context_length", "Context length the model was trained for (config.json), tokens.",
            labels=["model_name"],
        )  # fmt: skip
        errors = CounterMetricFamily(
            "llmon_model_metadata_errors", "Failed metadata lookups by model and cause.",
            labels=["model_name", "reason"],
        )  # fmt: skip
        for model_name, root in sorted(roots.items()):
            entry = self._entries.get(root)
            meta = entry.metadata if entry else None
            if meta is None:
                continue
            info.add_metric([model_name, meta.architecture, meta.dtype, meta.quantization, meta.license], 1.0)
            if meta.parameters is not None:
                parameters.add_metric([model_name], float(meta.parameters))
            if meta.context_length is not None:
                context.add_metric([model_name], float(meta.context_length))
        for (model_name, reason), count in sorted(self._errors.items()):
            errors.add_metric([model_name, reason], float(count))
        yield from (info, parameters, context, errors)
