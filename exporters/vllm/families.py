"""Metric families built from the engines' states: their own families merged, and llmon_vllm_*.

Each re-exposed family is one family across all engines (a name may appear once per exposition), each
sample carrying the engine's ``deployment``. A ``deployment`` label the engine set itself is kept as
``exported_deployment``, as Prometheus does with clashing target labels. If two engines disagree on a
family's type (a future version changed it), the first engine's type wins and the other's family is
left out and counted as a ``conflict`` error of that engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.samples import Sample

from exporters.vllm.engine import EngineState
from exporters.vllm.targets import DISCOVERIES, TargetRegistry

DEPLOYMENT = "deployment"


def _labelled(labels: dict[str, str], deployment: str) -> dict[str, str]:
    if DEPLOYMENT in labels:
        labels = {("exported_deployment" if k == DEPLOYMENT else k): v for k, v in labels.items()}
    return {**labels, DEPLOYMENT: deployment}


def engine_families(states: Sequence[EngineState]) -> list[Metric]:
    """The engines' vllm: and HTTP families, merged by name, in order of first appearance."""
    merged: dict[str, Metric] = {}
    for state in states:
        if state.page is None:
            continue
        deployment = state.target.deployment
        for name, family in state.page.families.items():
            target = merged.get(name)
            if target is None:
                target = merged[name] = Metric(name, family.documentation, family.type, family.unit)
            elif target.type != family.type:
                state.errors[("metrics", "conflict")] += 1
                continue
            target.samples.extend(
                Sample(s.name, _labelled(s.labels, deployment), s.value, s.timestamp) for s in family.samples
            )
    return list(merged.values())


def own_families(states: Sequence[EngineState], registry: TargetRegistry) -> Iterator[Metric]:
    """llmon_vllm_*: state, identity, restarts and errors per engine, and the discovery counts."""
    up = GaugeMetricFamily(
        "llmon_vllm_up", "1 if the last /metrics scrape of the engine succeeded.", labels=[DEPLOYMENT]
    )
    healthy = GaugeMetricFamily(
        "llmon_vllm_healthy", "1 if the engine's /health answered 200.", labels=[DEPLOYMENT]
    )
    info = GaugeMetricFamily(
        "llmon_vllm_info", "vLLM version of the engine (/version), value 1.", labels=[DEPLOYMENT, "version"]
    )
    served = GaugeMetricFamily(
        "llmon_vllm_served_model_info",
        "A model the engine serves (/v1/models): root is its weights, parent the base of a LoRA adapter.",
        labels=[DEPLOYMENT, "model_name", "root", "parent"],
    )
    max_len = GaugeMetricFamily(
        "llmon_vllm_max_model_len", "Longest context the engine accepts for the model, in tokens.",
        labels=[DEPLOYMENT, "model_name"],
    )  # fmt: skip
    restarts = CounterMetricFamily(
        "llmon_vllm_engine_restarts",
        "Engine restarts seen: start time moved forward or counters went back between two scrapes.",
        labels=[DEPLOYMENT],
    )
    duration = GaugeMetricFamily(
        "llmon_vllm_scrape_duration_seconds", "Time the last /metrics fetch and parse of the engine took.",
        labels=[DEPLOYMENT],
    )  # fmt: skip
    errors = CounterMetricFamily(
        "llmon_vllm_scrape_errors", "Failed calls to the engine by endpoint and cause.",
        labels=[DEPLOYMENT, "endpoint", "reason"],
    )  # fmt: skip
    unknown = GaugeMetricFamily(
        "llmon_vllm_unknown_families",
        "vllm: families on the engine's page this exporter does not know (passed through unchanged).",
        labels=[DEPLOYMENT],
    )
    translated = GaugeMetricFamily(
        "llmon_vllm_legacy_families",
        "Families the engine exposes under a legacy name, re-exposed under their V1 name.",
        labels=[DEPLOYMENT],
    )
    for state in states:
        deployment = state.target.deployment
        up.add_metric([deployment], float(state.up))
        healthy.add_metric([deployment], float(state.healthy))
        restarts.add_metric([deployment], float(state.restarts))
        duration.add_metric([deployment], state.duration)
        if state.version is not None:
            info.add_metric([deployment, state.version], 1.0)
        for model in state.models:
            served.add_metric([deployment, model.id, model.root, model.parent], 1.0)
            if model.max_model_len is not None:
                max_len.add_metric([deployment, model.id], float(model.max_model_len))
        for (endpoint, reason), count in sorted(state.errors.items()):
            errors.add_metric([deployment, endpoint, reason], float(count))
        if state.page is not None:
            unknown.add_metric([deployment], float(state.page.unknown))
            translated.add_metric([deployment], float(state.page.translated))
    yield from (up, healthy, info, served, max_len, restarts, duration, errors, unknown, translated)
    yield from _discovery_families(states, registry)


def _discovery_families(states: Sequence[EngineState], registry: TargetRegistry) -> Iterator[Metric]:
    targets = GaugeMetricFamily(
        "llmon_vllm_targets", "Engines scraped, by the discovery that found them.", labels=["discovery"]
    )
    for discovery in DISCOVERIES:
        targets.add_metric([discovery], float(sum(1 for s in states if s.target.discovery == discovery)))
    dropped = GaugeMetricFamily(
        "llmon_vllm_targets_dropped",
        "Discovered entries left out in the latest refresh: duplicate URL or deployment, or invalid.",
        labels=["discovery", "reason"],
    )
    for (discovery, reason), count in sorted(registry.dropped().items()):
        dropped.add_metric([discovery, reason], float(count))
    yield targets
    yield dropped
