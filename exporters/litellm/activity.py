"""Usage counters from LiteLLM's daily-activity endpoints (pre-aggregated per day, never raw spend logs).

Each cycle reads ``/user/daily/activity`` (breakdown by model, provider and key) and
``/team/daily/activity`` (breakdown by team) for yesterday and today in the proxy's clock (the Date
header of its answers), every page, and feeds the per-date figures to a DailyCounterBook (see
counters.py for why nothing is counted twice). A poll is applied only when every page was read and
the page count did not change while reading; otherwise it is dropped whole and counted as malformed.
Once per proxy day the seven complete days before today are read for the spend-rate baseline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporters.base import CollectError, Source
from exporters.base.jsonfields import expect, number
from exporters.base.labelcap import LabelCap, short
from exporters.litellm.client import ProxyClient
from exporters.litellm.counters import DailyCounterBook
from exporters.litellm.labels import key_label
from exporters.litellm.state import CounterState, StateFile

PAGE_SIZE = 1000
MAX_PAGES = 1000
BASELINE_DAYS = 7
#: (measure suffix, SpendMetrics field, help)
MEASURES = (
    ("spend_usd", "spend", "Spend in USD"),
    ("prompt_tokens", "prompt_tokens", "Prompt tokens"),
    ("completion_tokens", "completion_tokens", "Completion tokens"),
    ("requests", "api_requests", "Requests"),
    ("successful_requests", "successful_requests", "Successful requests"),
    ("failed_requests", "failed_requests", "Failed requests"),
)
#: dimension label -> (endpoint, breakdown key)
DIMENSIONS = {
    "model": ("/user/daily/activity", "models"),
    "provider": ("/user/daily/activity", "providers"),
    "key": ("/user/daily/activity", "api_keys"),
    "team": ("/team/daily/activity", "entities"),
}


def _day(unix: float, shift: int = 0) -> str:
    return (datetime.fromtimestamp(unix, UTC) + timedelta(days=shift)).strftime("%Y-%m-%d")


def read_activity(client: ProxyClient, path: str, first: str, last: str) -> Iterator[dict[str, Any]]:
    """Every result of every page, one page held at a time; raises if the page count changes while
    reading. Lazy on purpose: a large proxy answers megabytes per page (one breakdown entry per key),
    and holding every page of the 7-day baseline at once cost the exporter hundreds of megabytes."""
    page, total_pages = 1, None
    while True:
        body = expect(
            client.get_json(
                path, {"start_date": first, "end_date": last, "page": page, "page_size": PAGE_SIZE}
            ),
            dict,
            f"GET {path}",
        )
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        pages = metadata.get("total_pages", 1)
        if not isinstance(pages, int) or pages < 1:
            pages = 1
        if total_pages is not None and pages != total_pages:
            raise CollectError("malformed", f"GET {path}: the page count changed while reading; poll dropped")
        total_pages = pages
        results = expect(body.get("results"), list, f"GET {path} results")
        del body  # the page's results are all that is still needed
        yield from (result for result in results if isinstance(result, dict))
        if page >= total_pages or page >= MAX_PAGES:
            return
        page += 1


class ActivitySource(Source):
    """Monotonic per-team/key/model/provider counters and today's spend per team."""

    name = "activity"
    background = True
    keep_snapshot_on = frozenset({"rate_limited"})  # the counters wait; the next poll catches up

    def __init__(
        self,
        client: ProxyClient,
        caps: dict[str, LabelCap],
        wall_clock: Callable[[], float],
        state_file: StateFile | None = None,
    ) -> None:
        self._client = client
        self._caps = caps
        self._wall_clock = wall_clock
        self._book = DailyCounterBook()
        self._lock = threading.Lock()
        self._baseline: tuple[str, dict[str, float]] | None = None
        self._state_file = state_file
        saved = state_file.load() if state_file else None
        if saved is not None:
            self._book.restore(saved.seen, saved.totals)
            for kind, values in saved.labels.items():
                if kind in caps:
                    caps[kind].admit(values)

    def _label(self, dimension: str, name: str, entry: dict[str, Any]) -> str:
        metadata = entry.get("metadata") if isinstance(entry.get("metadata"), dict) else {}
        if dimension == "key":
            value = key_label(name, metadata.get("key_alias"))
        elif dimension == "team":
            value = short(metadata.get("team_alias") or name)
        else:
            value = short(name)
        cap = self._caps.get(dimension)
        return cap(value) if cap else value

    def _figures(self, results: Iterable[dict[str, Any]], dimensions: list[str]) -> dict[Any, float]:
        figures: dict[Any, float] = {}
        for result in results:
            date = result.get("date")
            breakdown = result.get("breakdown") if isinstance(result.get("breakdown"), dict) else {}
            if not isinstance(date, str):
                raise CollectError("malformed", "daily activity result without a date")
            for dimension in dimensions:
                entries = breakdown.get(DIMENSIONS[dimension][1]) or {}
                for name, entry in entries.items() if isinstance(entries, dict) else ():
                    metrics = entry.get("metrics") if isinstance(entry, dict) else None
                    if not isinstance(metrics, dict):
                        continue
                    label = self._label(dimension, name, entry)
                    for measure, field, _ in MEASURES:
                        value = number(metrics.get(field)) or 0.0
                        key = ((dimension, label, measure), date)
                        figures[key] = figures.get(key, 0.0) + value
        return figures

    def _spend_baseline(self, today: str, now: float) -> dict[str, float]:
        """Average daily spend per team over the 7 complete days before today, read once per day."""
        with self._lock:
            if self._baseline and self._baseline[0] == today:
                return self._baseline[1]
        results = read_activity(
            self._client, "/team/daily/activity", _day(now, -BASELINE_DAYS), _day(now, -1)
        )
        totals: dict[str, float] = {}
        for ((_, team, measure), date), value in self._figures(results, ["team"]).items():
            if measure == "spend_usd" and date != today:
                totals[team] = totals.get(team, 0.0) + value
        average = {team: value / BASELINE_DAYS for team, value in totals.items()}
        with self._lock:
            self._baseline = (today, average)
        return average

    def collect(self) -> Iterator[Metric]:
        if self._client.server_date is None:
            # Learn the proxy's day first: a first poll of the wrong dates would make the baseline
            # miss the real ones, and the next poll would count their whole history as new.
            self._client.probe("/health/liveliness")
        now = self._client.server_date or self._wall_clock()
        today, yesterday = _day(now), _day(now, -1)
        user = read_activity(self._client, "/user/daily/activity", yesterday, today)
        team = read_activity(self._client, "/team/daily/activity", yesterday, today)
        figures = self._figures(user, ["model", "provider", "key"])
        team_figures = self._figures(team, ["team"])
        figures.update(team_figures)
        baseline = self._spend_baseline(today, now)
        self._book.observe(figures, [yesterday, today])
        if self._state_file is not None:
            seen, totals = self._book.export()
            labels = {kind: cap.admitted for kind, cap in self._caps.items()}
            self._state_file.save(CounterState(seen, totals, labels))
        yield from self._counter_families()
        today_spend = GaugeMetricFamily(
            "llmon_litellm_team_spend_today_usd",
            "Spend of the team so far today (proxy's UTC day).",
            labels=["team"],
        )
        for ((_, label, measure), date), value in sorted(team_figures.items()):
            if measure == "spend_usd" and date == today:
                today_spend.add_metric([label], value)
        yield today_spend
        average = GaugeMetricFamily(
            "llmon_litellm_team_spend_daily_average_usd",
            f"Average daily spend of the team over the {BASELINE_DAYS} complete days before today.",
            labels=["team"],
        )
        for label, value in sorted(baseline.items()):
            average.add_metric([label], value)
        yield average
        dropped = CounterMetricFamily(
            "llmon_litellm_label_values_dropped",
            "Distinct keys, teams or models folded into the label value 'other' by the cardinality caps.",
            labels=["kind"],
        )
        for kind, cap in sorted(self._caps.items()):
            dropped.add_metric([kind], cap.dropped)
        yield dropped
        if self._state_file is not None:
            yield CounterMetricFamily(
                "llmon_litellm_state_write_errors",
                "Failed writes of --state.file; while they fail a restart starts from a baseline again.",
                value=self._state_file.write_errors,
            )

    def _counter_families(self) -> Iterator[Metric]:
        totals = self._book.totals()
        for dimension in DIMENSIONS:
            for measure, _, help_text in MEASURES:
                family = CounterMetricFamily(
                    f"llmon_litellm_{dimension}_{measure}",
                    f"{help_text} per {dimension} from LiteLLM's daily activity, since the exporter started.",
                    labels=[dimension],
                )
                for (dim, label, meas), value in sorted(totals.items()):
                    if dim == dimension and meas == measure:
                        family.add_metric([label], value)
                yield family

    def describe(self) -> Iterator[Metric]:
        return iter(())
