"""Gauges from the admin lists: every key and team with its budget, and every model deployment.

Keys come from ``/key/list?return_full_object=true`` and teams from ``/v2/team/list`` (falling back to
the unpaginated ``/team/list`` of older proxies on 404), page by page; models from ``/model/info``.
Spend here is a level (spend in the current budget period, reset by LiteLLM at ``budget_reset_at``),
so it is a gauge; usage totals are counters in activity.py. A budget that is null, missing or
infinite emits no budget series, so "unlimited" is absence, not +Inf.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporters.base import CollectError, Source
from exporters.base.jsonfields import expect, number, timestamp
from exporters.base.labelcap import LabelCap, short
from exporters.litellm.client import PAUSING_REASONS, ProxyClient
from exporters.litellm.labels import key_label

PAGE_SIZE = 100
MAX_PAGES = 10_000


def read_pages(client: ProxyClient, path: str, items: str, size_param: str) -> list[dict[str, Any]]:
    """All rows of a paginated admin list; stops at total_pages, an empty page or MAX_PAGES."""
    rows: list[dict[str, Any]] = []
    page = 1
    while page <= MAX_PAGES:
        params = {"page": page, size_param: PAGE_SIZE}
        if path == "/key/list":
            params["return_full_object"] = "true"
        body = expect(client.get_json(path, params), dict, f"GET {path}")
        chunk = expect(body.get(items), list, f"GET {path} {items}")
        rows.extend(row for row in chunk if isinstance(row, dict))
        pages = body.get("total_pages")
        if not chunk or not isinstance(pages, int) or page >= pages:
            return rows
        page += 1
    return rows


def _budget_families(kind: str, label: str) -> dict[str, GaugeMetricFamily]:
    what = {"key": "virtual key", "team": "team"}[kind]

    def gauge(name: str, text: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(f"llmon_litellm_{kind}_{name}", text, labels=[label])

    return {
        "spend": gauge(
            "budget_spend_usd", f"Spend of the {what} in its current budget period (LiteLLM's spend)."
        ),
        "max": gauge("max_budget_usd", f"Max budget of the {what}; absent when unlimited."),
        "soft": gauge("soft_budget_usd", f"Soft (alerting) budget of the {what}; absent when unset."),
        "ratio": gauge(
            "budget_utilisation_ratio", f"Spend over max budget of the {what} (0-1, above 1 when over)."
        ),
        "reset": gauge(
            "budget_reset_timestamp_seconds", f"When the {what}'s budget period resets (Unix time)."
        ),
        "blocked": gauge("blocked", f"1 when the {what} is blocked."),
    }


def _add_budget(families: dict[str, GaugeMetricFamily], label: str, row: dict[str, Any]) -> None:
    spend = number(row.get("spend")) or 0.0
    table = row.get("litellm_budget_table") if isinstance(row.get("litellm_budget_table"), dict) else {}
    max_budget = number(row.get("max_budget"))
    soft = number(row.get("soft_budget", table.get("soft_budget")))
    families["spend"].add_metric([label], spend)
    if max_budget is not None:
        families["max"].add_metric([label], max_budget)
        if max_budget > 0:
            families["ratio"].add_metric([label], spend / max_budget)
    if soft is not None:
        families["soft"].add_metric([label], soft)
    reset = timestamp(row.get("budget_reset_at"))
    if reset is not None:
        families["reset"].add_metric([label], reset)
    families["blocked"].add_metric([label], 1.0 if row.get("blocked") else 0.0)


class AdminSource(Source):
    """Keys, teams and model deployments with their budgets, limits and costs."""

    name = "admin"
    background = True
    keep_snapshot_on = frozenset({"rate_limited"})  # told to wait: the levels are still the last known

    def __init__(self, client: ProxyClient, caps: dict[str, LabelCap]) -> None:
        self._client = client
        self._caps = caps

    def _teams(self) -> list[dict[str, Any]]:
        try:
            return read_pages(self._client, "/v2/team/list", "teams", "page_size")
        except CollectError as exc:
            if "404" not in exc.message:
                raise
        return [
            row
            for row in expect(self._client.get_json("/team/list"), list, "GET /team/list")
            if isinstance(row, dict)
        ]

    def collect(self) -> Iterator[Metric]:
        models = expect(self._client.get_json("/model/info"), dict, "GET /model/info").get("data")
        keys = read_pages(self._client, "/key/list", "keys", "size")
        teams = self._teams()
        team_names = {str(t.get("team_id")): short(t.get("team_alias") or t.get("team_id")) for t in teams}
        yield from self._model_families(expect(models, list, "GET /model/info data"))
        yield from self._team_families(teams)
        yield from self._key_families(keys, team_names)

    def _model_families(self, models: list[Any]) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "llmon_litellm_deployment_info",
            "A model deployment behind the proxy, always 1.",
            labels=["model_group", "model_id", "provider", "litellm_model", "mode"],
        )
        costs = {
            direction: GaugeMetricFamily(
                f"llmon_litellm_deployment_{direction}_cost_per_token_usd",
                f"List price of one {direction} token of the deployment.",
                labels=["model_group", "model_id"],
            )
            for direction in ("input", "output")
        }
        limits = {
            unit: GaugeMetricFamily(
                f"llmon_litellm_deployment_{unit}_limit",
                f"Configured {unit.upper()} limit of the deployment.",
                labels=["model_group", "model_id"],
            )
            for unit in ("tpm", "rpm")
        }
        cap = self._caps["model"]
        for entry in models:
            if not isinstance(entry, dict):
                continue
            params = entry.get("litellm_params") if isinstance(entry.get("litellm_params"), dict) else {}
            model_info = entry.get("model_info") if isinstance(entry.get("model_info"), dict) else {}
            group = cap(short(entry.get("model_name") or "unknown"))
            model_id = short(model_info.get("id") or "")
            info.add_metric(
                [
                    group,
                    model_id,
                    short(model_info.get("litellm_provider") or ""),
                    short(params.get("model") or ""),
                    short(model_info.get("mode") or ""),
                ],
                1.0,
            )
            for direction, family in costs.items():
                if (value := number(model_info.get(f"{direction}_cost_per_token"))) is not None:
                    family.add_metric([group, model_id], value)
            for unit, family in limits.items():
                if (value := number(params.get(unit))) is not None:
                    family.add_metric([group, model_id], value)
        yield info
        yield from costs.values()
        yield from limits.values()

    def _team_families(self, teams: list[dict[str, Any]]) -> Iterator[Metric]:
        families = _budget_families("team", "team")
        cap = self._caps["team"]
        seen: set[str] = set()
        for row in teams:
            label = cap(short(row.get("team_alias") or row.get("team_id") or "unknown"))
            if label in seen:  # folded into "other": a level cannot be summed meaningfully
                continue
            seen.add(label)
            _add_budget(families, label, row)
        yield from families.values()

    def _key_families(self, keys: list[dict[str, Any]], team_names: dict[str, str]) -> Iterator[Metric]:
        families = _budget_families("key", "key")
        info = GaugeMetricFamily(
            "llmon_litellm_key_info",
            "A virtual key (by alias or short hash) and its team, always 1.",
            labels=["key", "team"],
        )
        expires = GaugeMetricFamily(
            "llmon_litellm_key_expires_timestamp_seconds",
            "When the virtual key expires (Unix time); absent if never.",
            labels=["key"],
        )
        cap = self._caps["key"]
        seen: set[str] = set()
        for row in keys:
            label = cap(key_label(str(row.get("token") or ""), row.get("key_alias")))
            if label in seen:
                continue
            seen.add(label)
            _add_budget(families, label, row)
            info.add_metric(
                [label, team_names.get(str(row.get("team_id")), short(row.get("team_id") or ""))], 1.0
            )
            if (expiry := timestamp(row.get("expires"))) is not None:
                expires.add_metric([label], expiry)
        yield from families.values()
        yield info
        yield expires


class HealthSource(Source):
    """Liveness and readiness probes (no auth): the proxy alive, ready, and its database connected."""

    name = "health"
    background = True

    def __init__(self, client: ProxyClient, wall_clock: Callable[[], float]) -> None:
        self._client = client
        self._wall_clock = wall_clock

    def collect(self) -> Iterator[Metric]:
        live = self._client.probe("/health/liveliness")
        ready = self._client.probe("/health/readiness")
        try:
            body = ready.json()
        except ValueError:
            raise CollectError("malformed", "GET /health/readiness: the body is not JSON") from None
        db = str(body.get("db", "")) if isinstance(body, dict) else ""
        for name, text, value in (
            ("alive", "1 when /health/liveliness answers 200.", live.status_code == 200),
            ("ready", "1 when /health/readiness answers 200 (healthy).", ready.status_code == 200),
            ("db_connected", "1 when readiness reports the database connected.", db == "connected"),
        ):
            family = GaugeMetricFamily(f"llmon_litellm_{name}", text)
            family.add_metric([], 1.0 if value else 0.0)
            yield family
        skew = GaugeMetricFamily(
            "llmon_litellm_clock_seconds",
            "The proxy's clock (its Date header) as Unix time; days are its days.",
        )
        skew.add_metric([], self._client.server_date or self._wall_clock())
        yield skew
        yield from self._client_families()

    def _client_families(self) -> Iterator[Metric]:
        """How the shared client is backing off; here because the probes are never paused, so these
        stay fresh while the admin sources wait out a Retry-After."""
        limited = CounterMetricFamily(
            "llmon_litellm_rate_limited_responses",
            "Admin API answers that were 429 (rate limited); each pauses every admin call.",
        )
        limited.add_metric([], self._client.rate_limited)
        yield limited
        skipped = CounterMetricFamily(
            "llmon_litellm_requests_skipped",
            "Admin API calls not sent because the exporter was waiting out a Retry-After or a backoff.",
            labels=["reason"],
        )
        backoff = GaugeMetricFamily(
            "llmon_litellm_backoff_seconds",
            "Seconds until the next admin API call may be sent, by why the exporter waits "
            "(rate_limited: the proxy's Retry-After); 0 when it does not wait.",
            labels=["reason"],
        )
        counts, waiting = self._client.skipped, self._client.backoff()
        for reason in PAUSING_REASONS:
            skipped.add_metric([reason], counts.get(reason, 0))
            backoff.add_metric([reason], waiting[1] if waiting and waiting[0] == reason else 0.0)
        yield skipped
        yield backoff
