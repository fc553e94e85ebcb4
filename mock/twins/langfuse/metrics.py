"""Langfuse's metrics APIs over generated traffic: the query API (v1 /metrics, v2 /v2/metrics) and the
legacy daily metrics.

Query JSON as in packages/shared/src/features/query/types.ts: view, dimensions, metrics
(measure + aggregation), filters, timeDimension, fromTimestamp, toTimestamp, config.row_limit. Rows
are ``{<dimension>: value, "<aggregation>_<measure>": value}``; like ClickHouse's JSON output, 64-bit
integers (counts, token and millisecond sums, minima and maxima of integer measures) arrive as strings.
Durations are milliseconds here, unlike the objects (seconds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from mock.twins.langfuse import catalog
from mock.twins.langfuse.events import (
    LEVELS,
    MAX_EVENT_OFFSET_S,
    OBSERVATION_NAMES,
    OBSERVATION_TYPES,
    SCORE_NAMES,
    Batch,
)
from mock.twins.langfuse.listing import SCAN_LIMIT, QueryTooLarge
from mock.twins.langfuse.shapes import iso

AGGREGATIONS = ("sum", "avg", "count", "max", "min", "p50", "p75", "p90", "p95", "p99", "histogram", "uniq")
GRANULARITY_S = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
METRICS_SCAN_LIMIT = 4 * SCAN_LIMIT


class QueryError(Exception):
    """A query Langfuse would answer with 400; the message is Langfuse's kind of sentence."""


@dataclass
class Frame:
    """One view's rows as columns: dimension values (object arrays) and measures (float arrays)."""

    time: np.ndarray
    dimensions: dict[str, np.ndarray]
    measures: dict[str, np.ndarray]
    integer_measures: frozenset[str]


def _names(table: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    return np.array(table, dtype=object)[index]


def observations_frame(batch: Batch, models: tuple[str, ...], visible_until: float) -> Frame:
    """Every visible observation of the batch, flattened."""
    mask = (batch.end <= visible_until).ravel()
    n = len(batch)
    model = np.array((*models, None), dtype=object)[np.where(batch.model < 0, len(models), batch.model)]
    env = np.repeat(_names(catalog.ENVIRONMENTS, batch.environment), 3)
    trace_name = np.repeat(_names(catalog.TRACE_NAMES, batch.name), 3)
    latency = (batch.end - batch.start) * 1000.0
    ttft = (batch.completion_start - batch.start) * 1000.0
    cost_in, cost_out = batch.input_cost, batch.output_cost
    dims = {
        "environment": env,
        "type": _names(OBSERVATION_TYPES, batch.obs_type).ravel(),
        "name": _names(OBSERVATION_NAMES, batch.obs_name).ravel(),
        "level": _names(LEVELS, batch.level).ravel(),
        "providedModelName": model.ravel(),
        "traceName": trace_name,
        "isRootObservation": np.tile(np.array([True, False, False], dtype=object), n),
    }
    measures = {
        "count": np.ones(3 * n),
        "latency": np.round(latency).ravel(),
        "streamingLatency": np.round((batch.end - batch.completion_start) * 1000.0).ravel(),
        "timeToFirstToken": np.round(ttft).ravel(),
        "inputTokens": batch.input_tokens.ravel().astype(float),
        "outputTokens": batch.output_tokens.ravel().astype(float),
        "totalTokens": (batch.input_tokens + batch.output_tokens).ravel().astype(float),
        "inputCost": cost_in.ravel(),
        "outputCost": cost_out.ravel(),
        "totalCost": (cost_in + cost_out).ravel(),
    }
    integers = frozenset(
        {
            "count",
            "latency",
            "streamingLatency",
            "timeToFirstToken",
            "inputTokens",
            "outputTokens",
            "totalTokens",
        }
    )
    return Frame(
        batch.start.ravel()[mask],
        {k: v[mask] for k, v in dims.items()},
        {k: v[mask] for k, v in measures.items()},
        integers,
    )


def traces_frame(batch: Batch, visible_until: float) -> Frame:
    mask = batch.time <= visible_until
    totals = np.nansum(batch.input_cost + batch.output_cost, axis=1)
    dims = {
        "environment": _names(catalog.ENVIRONMENTS, batch.environment),
        "name": _names(catalog.TRACE_NAMES, batch.name),
    }
    measures = {
        "count": np.ones(len(batch)),
        "observationsCount": np.full(len(batch), 3.0),
        "scoresCount": batch.score_present.sum(axis=1).astype(float),
        "latency": np.round((batch.trace_end - batch.time) * 1000.0),
        "totalTokens": (batch.input_tokens + batch.output_tokens).sum(axis=1).astype(float),
        "totalCost": totals,
    }
    integers = frozenset({"count", "observationsCount", "scoresCount", "latency", "totalTokens"})
    return Frame(
        batch.time[mask],
        {k: v[mask] for k, v in dims.items()},
        {k: v[mask] for k, v in measures.items()},
        integers,
    )


def scores_frame(batch: Batch, view: str, visible_until: float) -> Frame:
    types = np.array([catalog.SCORE_TYPES[name] for name in SCORE_NAMES], dtype=object)
    wanted = {
        "scores-numeric": {"NUMERIC", "BOOLEAN"},
        "scores-boolean": {"BOOLEAN"},
        "scores-categorical": {"CATEGORICAL"},
    }[view]
    slot_ok = np.array([t in wanted for t in types])
    mask = batch.score_present & (batch.score_time <= visible_until) & slot_ok[None, :]
    rows, slots = np.nonzero(mask)
    names = np.array(SCORE_NAMES, dtype=object)[slots]
    values = batch.score_value[rows, slots]
    dims = {
        "name": names,
        "source": np.array([catalog.SCORE_SOURCES[n] for n in names], dtype=object),
        "dataType": types[slots],
        "environment": _names(catalog.ENVIRONMENTS, batch.environment[rows]),
        "traceName": _names(catalog.TRACE_NAMES, batch.name[rows]),
    }
    if view == "scores-categorical":
        dims["stringValue"] = np.array(catalog.TONES, dtype=object)[values.astype(int)]
    elif view == "scores-boolean":
        dims["stringValue"] = np.where(values > 0, "True", "False").astype(object)
    measures = {"count": np.ones(len(rows)), "value": values}
    return Frame(batch.score_time[rows, slots], dims, measures, frozenset({"count"}))


def _parse_time(query: dict[str, Any], key: str) -> float:
    raw = query.get(key)
    if not isinstance(raw, str):
        raise QueryError(f"{key}: Required")
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"{key}: Invalid ISO datetime") from None
    if parsed.tzinfo is None:
        raise QueryError(f"{key}: Invalid ISO datetime (an offset is required)")
    return parsed.timestamp()


def parse_query(raw: str | None, *, views: tuple[str, ...], max_rows: int) -> dict[str, Any]:
    """The validated query JSON; QueryError carries the 400 message."""
    if raw is None:
        raise QueryError("query: Required")
    try:
        query = json.loads(raw)
    except json.JSONDecodeError:
        raise QueryError("query: Invalid JSON") from None
    if not isinstance(query, dict):
        raise QueryError("query: Expected object")
    if query.get("view") not in views:
        raise QueryError(f"view: Invalid enum value. Expected {' | '.join(repr(v) for v in views)}")
    for metric in query.get("metrics") or []:
        if not isinstance(metric, dict) or metric.get("aggregation") not in AGGREGATIONS:
            raise QueryError("metrics: each metric needs a measure and a valid aggregation")
    query["_from"] = _parse_time(query, "fromTimestamp")
    query["_to"] = _parse_time(query, "toTimestamp")
    if query["_to"] < query["_from"]:
        raise QueryError("toTimestamp: must not be before fromTimestamp")
    row_limit = (query.get("config") or {}).get("row_limit", 100)
    if not isinstance(row_limit, int) or not 1 <= row_limit <= max_rows:
        raise QueryError(f"config.row_limit: Number must be between 1 and {max_rows}")
    query["_row_limit"] = row_limit
    return query


def _test(data: np.ndarray, operator: object, value: Any) -> np.ndarray:
    """One filter condition over a column (Langfuse's filter operators)."""
    if operator == "=":
        return data == value
    if operator == "!=":
        return data != value
    if operator in ("any of", "none of"):
        hit = np.isin(data, list(value or []))
        return hit if operator == "any of" else ~hit
    if operator in (">", ">=", "<", "<="):
        numbers, bound = data.astype(float), float(value)
        return {">": numbers > bound, ">=": numbers >= bound, "<": numbers < bound, "<=": numbers <= bound}[
            operator
        ]
    if operator in ("is null", "is not null"):
        nulls = np.array([v is None for v in data], dtype=bool)
        return nulls if operator == "is null" else ~nulls
    raise QueryError(f"Invalid filter operator: {operator}")


def _filter_mask(frame: Frame, filters: list[Any]) -> np.ndarray:
    mask = np.ones(len(frame.time), dtype=bool)
    for item in filters or []:
        if not isinstance(item, dict):
            raise QueryError("filters: Expected object")
        column, operator, value = item.get("column"), item.get("operator"), item.get("value")
        data = frame.dimensions.get(column)
        if data is None:
            data = frame.measures.get(column)
        if data is None:
            raise QueryError(f"Invalid filter column: {column}")
        mask &= _test(data, operator, value)
    return mask


def _aggregate(values: np.ndarray, aggregation: str, integer: bool, bins: int) -> Any:
    finite = values[~np.isnan(values)]
    if aggregation == "count":
        return str(len(values))
    if aggregation == "uniq":
        return str(len(np.unique(finite)))
    if aggregation == "histogram":
        if not len(finite):
            return []
        heights, edges = np.histogram(finite, bins=bins)
        return [[float(edges[i]), float(edges[i + 1]), int(heights[i])] for i in range(len(heights))]
    if not len(finite):
        return None
    if aggregation in ("sum", "max", "min"):
        result = float({"sum": np.sum, "max": np.max, "min": np.min}[aggregation](finite))
        return str(round(result)) if integer else result
    if aggregation == "avg":
        return float(np.mean(finite))
    return float(np.quantile(finite, int(aggregation[1:]) / 100.0))


def _bucket(t: np.ndarray, granularity: str | None, span: float) -> np.ndarray:
    if granularity == "auto":
        granularity = "minute" if span <= 7200 else "hour" if span <= 7 * 86400 else "day"
    width = GRANULARITY_S.get(granularity or "", 0)
    if granularity == "month":
        return np.array(
            [
                iso(
                    datetime.fromtimestamp(x, UTC)
                    .replace(day=1, hour=0, minute=0, second=0, microsecond=0)
                    .timestamp()
                )
                for x in t
            ],
            dtype=object,
        )
    if not width:
        raise QueryError(f"timeDimension.granularity: Invalid enum value {granularity!r}")
    return np.array([iso(x) for x in np.floor(t / width) * width], dtype=object)


def run_query(query: dict[str, Any], frame: Frame) -> list[dict[str, Any]]:
    """Group, aggregate and order the frame's rows as the query says."""
    mask = (
        (frame.time >= query["_from"])
        & (frame.time <= query["_to"])
        & _filter_mask(frame, query.get("filters"))
    )
    dims = []
    for dimension in query.get("dimensions") or []:
        field = dimension.get("field") if isinstance(dimension, dict) else None
        if field not in frame.dimensions:
            raise QueryError(f"Invalid dimension {field}. Must be one of {', '.join(frame.dimensions)}")
        dims.append(field)
    columns = {d: frame.dimensions[d][mask] for d in dims}
    time_dimension = query.get("timeDimension")
    if time_dimension:
        span = query["_to"] - query["_from"]
        columns["time_dimension"] = _bucket(frame.time[mask], time_dimension.get("granularity"), span)
    metrics = query.get("metrics") or [{"measure": "count", "aggregation": "count"}]
    for metric in metrics:
        if metric["measure"] not in frame.measures:
            raise QueryError(
                f"Invalid measure {metric['measure']}. Must be one of {', '.join(frame.measures)}"
            )
    keys = list(zip(*columns.values(), strict=True)) if columns else [()] * int(mask.sum())
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    if not columns and not groups:
        groups[()] = []
    bins = int((query.get("config") or {}).get("bins", 10))
    rows = []
    for key, members in groups.items():
        index = np.array(members, dtype=np.int64)
        row: dict[str, Any] = dict(zip(columns, key, strict=True))
        for metric in metrics:
            values = frame.measures[metric["measure"]][mask][index]
            integer = metric["measure"] in frame.integer_measures
            row[f"{metric['aggregation']}_{metric['measure']}"] = _aggregate(
                values, metric["aggregation"], integer, bins
            )
        rows.append(row)
    rows.sort(key=lambda r: tuple("" if r[c] is None else str(r[c]) for c in columns))
    return rows[: query["_row_limit"]]


def needed_traces(query: dict[str, Any]) -> tuple[float, float]:
    """Trace-time window whose events can fall in the query's window."""
    return query["_from"] - MAX_EVENT_OFFSET_S, query["_to"]


def check_size(lo: int, hi: int) -> None:
    if hi - lo > METRICS_SCAN_LIMIT:
        raise QueryTooLarge(f"{hi - lo} traces")


def daily_row(date: str, batch: Batch, models: tuple[str, ...], visible_until: float) -> dict[str, Any]:
    """One day of /metrics/daily: counts, cost, and usage per model (model null for model-less ones)."""
    frame = observations_frame(batch, models, visible_until)
    usage = []
    model_column = frame.dimensions["providedModelName"]
    generations = frame.dimensions["type"] == "GENERATION"
    trace_of = np.repeat(batch.k, 3)[(batch.end <= visible_until).ravel()]
    for model in (*models, None):
        pick = generations & np.array([m == model for m in model_column], dtype=bool)
        if not pick.any():
            continue
        cost = frame.measures["totalCost"][pick]
        usage.append(
            {
                "model": model,
                "inputUsage": int(frame.measures["inputTokens"][pick].sum()),
                "outputUsage": int(frame.measures["outputTokens"][pick].sum()),
                "totalUsage": int(frame.measures["totalTokens"][pick].sum()),
                "totalCost": float(np.nansum(cost)),
                "countObservations": int(pick.sum()),
                "countTraces": len(np.unique(trace_of[pick])),
            }
        )
    visible_traces = int((batch.time <= visible_until).sum())
    total = float(np.nansum(frame.measures["totalCost"]))
    return {
        "date": date,
        "countTraces": visible_traces,
        "countObservations": len(frame.time),
        "totalCost": total,
        "usage": usage,
    }
