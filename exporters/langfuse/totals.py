"""The exporter's counters and histograms: what every poll adds to, what scrapes read, what a state
file saves. Label values pass through the cardinality caps here, once, as records are counted.

Histogram buckets (seconds), chosen for LLM calls: generation latency 0.25 s to 2 min, since whole
completions take seconds; time to first token 50 ms to 30 s, sharing the 0.5 s and 1 s boundaries of
vLLM's TTFT buckets so a Langfuse and a vLLM latency SLI can use the same threshold.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, UnknownMetricFamily

from exporters.base.labelcap import LabelCap, short
from exporters.langfuse.records import LEVELS, Observation, Score

LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
PREFIX = "llmon_langfuse_"
#: counter name (without prefix and _total) -> (label names, help)
COUNTERS: dict[str, tuple[tuple[str, ...], str]] = {
    "observations": (("environment", "type", "level"), "Observations by type and level."),
    "generations": (("model", "environment"), "Generations (observations of type GENERATION)."),
    "tokens": (("model", "environment", "direction"), "Tokens used (usage details), input or output."),
    "cost_usd": (("model", "environment"), "Cost in USD (cost details total)."),
    "scores": (("name", "source", "data_type"), "Scores by name, source and data type."),
    "score_categories": (("name", "source", "value"), "Categorical scores by value (values capped)."),
    "bad_input": (("kind", "problem"), "Records or fields the exporter could not use, by problem."),
}
SUM_FAMILY = "score_value_sum"
SUM_LABELS = ("name", "source", "data_type")
#: histogram name -> (label names, buckets, help)
HISTOGRAMS: dict[str, tuple[tuple[str, ...], tuple[float, ...], str]] = {
    "generation_latency_seconds": (
        ("model", "environment"),
        LATENCY_BUCKETS,
        "Generation latency (end minus start) in seconds.",
    ),
    "time_to_first_token_seconds": (
        ("model", "environment"),
        TTFT_BUCKETS,
        "Time to first token of generations (completion start minus start) in seconds.",
    ),
}
CAPPED = ("model", "environment", "name", "value")
Labels = tuple[str, ...]


class Totals:
    """Thread-safe totals since the exporter (or its state file) started counting."""

    def __init__(self, caps: Mapping[str, int], state: Mapping[str, Any] | None = None) -> None:
        state = state or {}
        admitted = state.get("admitted", {})
        self._caps = {label: LabelCap(caps[label], admitted.get(label, ())) for label in CAPPED}
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = {name: {} for name in (*COUNTERS, SUM_FAMILY)}
        self._histograms: dict[str, dict[Labels, list[float]]] = {name: {} for name in HISTOGRAMS}
        for name, rows in state.get("counters", {}).items():
            if name in self._counters:
                self._counters[name] = {tuple(labels): float(value) for labels, value in rows}
        for name, rows in state.get("histograms", {}).items():
            if name in self._histograms:
                self._histograms[name] = {
                    tuple(labels): [float(v) for v in values] for labels, values in rows
                }
        self.newest_event: float | None = state.get("newest_event")

    def _cap(self, label: str, value: str) -> str:
        return self._caps[label](short(value))

    def _add(self, name: str, labels: Labels, value: float = 1.0) -> None:
        series = self._counters[name]
        series[labels] = series.get(labels, 0.0) + value

    def _observe(self, name: str, labels: Labels, value: float) -> None:
        buckets = HISTOGRAMS[name][1]
        counts = self._histograms[name].setdefault(labels, [0.0] * (len(buckets) + 2))
        counts[bisect.bisect_left(buckets, value)] += 1  # per-bucket count; +Inf is the last but one
        counts[-1] += value

    def seen(self, when: float) -> None:
        with self._lock:
            if self.newest_event is None or when > self.newest_event:
                self.newest_event = when

    def bad(self, kind: str, problem: str) -> None:
        with self._lock:
            self._add("bad_input", (kind, problem))

    def count_observation(self, record: Observation) -> tuple[str, str]:
        """Count the record; returns its (model, environment) labels as capped."""
        with self._lock:
            environment = self._cap("environment", record.environment)
            model = self._cap("model", record.model)
            self._add("observations", (environment, record.type, record.level))
            for problem in record.problems:
                self._add("bad_input", ("observation", problem))
            if record.type == "GENERATION":
                self._add("generations", (model, environment))
                if record.latency_s is not None:
                    self._observe("generation_latency_seconds", (model, environment), record.latency_s)
                if record.ttft_s is not None:
                    self._observe("time_to_first_token_seconds", (model, environment), record.ttft_s)
            for direction, tokens in (("input", record.input_tokens), ("output", record.output_tokens)):
                if tokens is not None:
                    self._add("tokens", (model, environment, direction), tokens)
            if record.cost_usd is not None:
                self._add("cost_usd", (model, environment), record.cost_usd)
        return model, environment

    def count_score(self, record: Score) -> None:
        with self._lock:
            name = self._cap("name", record.name)
            labels = (name, record.source, record.data_type)
            self._add("scores", labels)
            if record.value is not None:
                self._add(SUM_FAMILY, labels, record.value)
            if record.category is not None:
                self._add("score_categories", (name, record.source, self._cap("value", record.category)))

    def add_late(self, additions: Mapping[tuple[str, Labels], float]) -> None:
        """Counts found by reconciliation, (counter, capped labels) -> amount, added at once."""
        with self._lock:
            for (name, labels), value in additions.items():
                self._add(name, labels, value)

    def capped(self, label: str, value: str) -> str:
        with self._lock:
            return self._cap(label, value)

    def state(self) -> dict[str, Any]:
        """JSON-ready copy: counters and histograms as [labels, value] rows, admitted label values."""
        with self._lock:
            return {
                "counters": {
                    n: [[list(k), v] for k, v in rows.items()] for n, rows in self._counters.items()
                },
                "histograms": {
                    n: [[list(k), v] for k, v in rows.items()] for n, rows in self._histograms.items()
                },
                "admitted": {label: cap.admitted for label, cap in self._caps.items()},
                "newest_event": self.newest_event,
            }

    def families(self) -> Iterator[Metric]:
        with self._lock:
            counters = {name: dict(rows) for name, rows in self._counters.items()}
            histograms = {
                name: {k: list(v) for k, v in rows.items()} for name, rows in self._histograms.items()
            }
            dropped = {label: cap.dropped for label, cap in self._caps.items()}
        for environment, kind, _ in list(counters["observations"]):
            for (
                level
            ) in LEVELS:  # every level of a seen (environment, type) exists, so error ratios are 0, not empty
                counters["observations"].setdefault((environment, kind, level), 0.0)
        for name, (labels, text) in COUNTERS.items():
            family = CounterMetricFamily(f"{PREFIX}{name}", text, labels=list(labels))
            for key, value in sorted(counters[name].items()):
                family.add_metric(list(key), value)
            yield family
        # Named ..._sum (not _total) by the team contract; untyped so the name is kept, still monotonic.
        sums = UnknownMetricFamily(
            f"{PREFIX}{SUM_FAMILY}",
            "Sum of numeric and boolean (0/1) score values, monotonic; divide its rate by scores_total's.",
            labels=list(SUM_LABELS),
        )
        for key, value in sorted(counters[SUM_FAMILY].items()):
            sums.add_metric(list(key), value)
        yield sums
        for name, (labels, buckets, text) in HISTOGRAMS.items():
            family = HistogramMetricFamily(f"{PREFIX}{name}", text, labels=list(labels))
            for key, counts in sorted(histograms[name].items()):
                cumulative, running = [], 0.0
                for bound, count in zip((*buckets, float("inf")), counts[:-1], strict=True):
                    running += count
                    cumulative.append(("+Inf" if bound == float("inf") else f"{bound:g}", running))
                family.add_metric(list(key), cumulative, counts[-1])
            yield family
        family = CounterMetricFamily(
            f"{PREFIX}label_values_dropped",
            "Distinct label values folded into 'other' by the caps (--limit.*), per label.",
            labels=["label"],
        )
        for label, count in sorted(dropped.items()):
            family.add_metric([label], count)
        yield family
