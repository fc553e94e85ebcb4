"""Optional: LiteLLM's own /metrics, re-exposed without its high-cardinality labels.

Only the families an operator needs beside the admin API are kept, and their label sets are cut to
bounded identity labels, summing what the dropped labels (key hash, key alias, team, user, e-mail,
end user, client IP, user agent) split apart:

- ``litellm_request_total_latency_metric`` ->
  ``llmon_litellm_request_latency_seconds{model_group}``
- ``litellm_llm_api_time_to_first_token_metric`` ->
  ``llmon_litellm_time_to_first_token_seconds{model_group}``
- ``litellm_deployment_state`` -> ``llmon_litellm_deployment_state{model_id, model, provider}`` (0/1/2)
- ``litellm_deployment_cooled_down`` ->
  ``llmon_litellm_deployment_cooldowns_total{model_id, model, provider}``
- ``litellm_deployment_successful_fallbacks`` ->
  ``llmon_litellm_fallbacks_total{requested_model, fallback_model}``
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from exporters.base import CollectError, Source
from exporters.base.labelcap import LabelCap, short
from exporters.litellm.client import ProxyClient

HISTOGRAMS = {
    "litellm_request_total_latency_metric": (
        "llmon_litellm_request_latency_seconds",
        "Total request latency through the proxy, by model group.",
    ),
    "litellm_llm_api_time_to_first_token_metric": (
        "llmon_litellm_time_to_first_token_seconds",
        "Time to first token of streamed calls, by model group.",
    ),
}
DEPLOYMENT = {"litellm_model_name": "model", "model_id": "model_id", "api_provider": "provider"}


def _bound(value: str) -> float:
    return float("inf") if value == "+Inf" else float(value)


class MetricsScrapeSource(Source):
    """Scrapes the proxy's /metrics (Bearer master key) each cycle and aggregates it."""

    name = "metrics"
    background = True
    keep_snapshot_on = frozenset({"rate_limited"})

    def __init__(self, client: ProxyClient, model_cap: LabelCap) -> None:
        self._client = client
        self._model_cap = model_cap

    def collect(self) -> Iterator[Metric]:
        text = self._client.get_text("/metrics")
        try:
            parsed = list(text_string_to_metric_families(text))
        except ValueError as exc:
            raise CollectError("malformed", f"GET /metrics: not the Prometheus text format ({exc})") from None
        by_name = {family.name: family for family in parsed}
        for source_name, (name, help_text) in HISTOGRAMS.items():
            yield self._histogram(by_name.get(source_name), name, help_text)
        yield from self._deployments(by_name)

    def _histogram(self, family: Metric | None, name: str, help_text: str) -> HistogramMetricFamily:
        buckets: dict[str, dict[float, float]] = {}
        sums: dict[str, float] = {}
        for sample in family.samples if family else ():
            group = self._model_cap(
                short(sample.labels.get("model_group") or sample.labels.get("model") or "")
            )
            if sample.name.endswith("_bucket"):
                per_group = buckets.setdefault(group, {})
                bound = _bound(sample.labels["le"])
                per_group[bound] = per_group.get(bound, 0.0) + sample.value
            elif sample.name.endswith("_sum"):
                sums[group] = sums.get(group, 0.0) + sample.value
        out = HistogramMetricFamily(name, help_text, labels=["model_group"])
        for group, per_group in sorted(buckets.items()):
            pairs = [("+Inf" if b == float("inf") else repr(b), v) for b, v in sorted(per_group.items())]
            out.add_metric([group], pairs, sums.get(group, 0.0))
        return out

    def _deployments(self, by_name: dict[str, Metric]) -> Iterator[Metric]:
        labels = list(DEPLOYMENT.values())
        state = GaugeMetricFamily(
            "llmon_litellm_deployment_state",
            "Deployment state from LiteLLM: 0 healthy, 1 partial outage, 2 outage.",
            labels=labels,
        )
        cooldowns = CounterMetricFamily(
            "llmon_litellm_deployment_cooldowns",
            "Times LiteLLM's router cooled the deployment down.",
            labels=labels,
        )
        fallbacks = CounterMetricFamily(
            "llmon_litellm_fallbacks",
            "Requests served by a fallback model after the requested one failed.",
            labels=["requested_model", "fallback_model"],
        )
        for target, source, suffix in (
            (state, "litellm_deployment_state", ""),
            (cooldowns, "litellm_deployment_cooled_down", "_total"),
        ):
            totals: dict[tuple[str, ...], float] = {}
            for sample in by_name[source].samples if source in by_name else ():
                if sample.name != source + suffix:
                    continue
                key = tuple(short(sample.labels.get(src, "")) for src in DEPLOYMENT)
                totals[key] = (max if target is state else float.__add__)(totals.get(key, 0.0), sample.value)
            for key, value in sorted(totals.items()):
                target.add_metric(list(key), value)
        pairs: dict[tuple[str, str], float] = {}
        family = by_name.get("litellm_deployment_successful_fallbacks")
        for sample in family.samples if family else ():
            if sample.name.endswith("_total"):
                key = (
                    self._model_cap(short(sample.labels.get("requested_model", ""))),
                    self._model_cap(short(sample.labels.get("fallback_model", ""))),
                )
                pairs[key] = pairs.get(key, 0.0) + sample.value
        for key, value in sorted(pairs.items()):
            fallbacks.add_metric(list(key), value)
        yield state
        yield cooldowns
        yield fallbacks
