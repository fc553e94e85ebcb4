"""Observations and scores of any Langfuse version as normalised records, with bad input named.

Units and spellings differ between versions: objects give seconds (latency, timeToFirstToken), counts
may arrive as JSON strings, usage is ``usageDetails`` (v3+) or ``usage`` / ``promptTokens`` (v2),
cost is ``costDetails.total``, ``totalCost`` or ``calculatedTotalCost``, and ``-1`` means "field
excluded" (not a value). v3 scores carry booleans as booleans and categories in ``value``; v2 scores
carry 0/1 plus ``stringValue``. A record without an id or time is skipped; an unusable field is
ignored; either way the problem is returned so the exporter can count it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from exporters.base.jsonfields import number, timestamp

LEVELS = frozenset({"DEBUG", "DEFAULT", "WARNING", "ERROR"})
TYPES = frozenset(
    {
        "GENERATION",
        "SPAN",
        "EVENT",
        "AGENT",
        "TOOL",
        "CHAIN",
        "RETRIEVER",
        "EVALUATOR",
        "EMBEDDING",
        "GUARDRAIL",
    }
)
SOURCES = frozenset({"API", "EVAL", "ANNOTATION"})
DATA_TYPES = frozenset({"NUMERIC", "BOOLEAN", "CATEGORICAL", "TEXT", "CORRECTION"})
UNKNOWN_MODEL = "unknown"
DEFAULT_ENVIRONMENT = "default"
OTHER = "OTHER"
_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})


@dataclass(frozen=True)
class Observation:
    id: str
    time: float
    type: str
    level: str
    environment: str
    model: str
    complete: bool
    input_tokens: float | None = None
    output_tokens: float | None = None
    cost_usd: float | None = None
    latency_s: float | None = None
    ttft_s: float | None = None
    problems: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Score:
    id: str
    time: float
    name: str
    source: str
    data_type: str
    value: float | None = None  # NUMERIC, and BOOLEAN as 0/1
    category: str | None = None  # CATEGORICAL


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _measure(value: Any) -> tuple[float | None, bool]:
    """(value, bad): None for absent or -1 (excluded); bad for other negatives and non-numbers."""
    if value is None:
        return None, False
    result = number(value)
    if result is None:
        return None, True
    if result == -1:
        return None, False
    return (None, True) if result < 0 else (result, False)


def _first(row: dict[str, Any], *paths: str) -> Any:
    """The first of ``paths`` ("a" or "a.b") present and not null in the row."""
    for path in paths:
        value: Any = row
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


def _span(start: float, end: Any) -> float | None:
    end_time = timestamp(end)
    return end_time - start if end_time is not None and end_time >= start else None


def observation(row: Any) -> Observation | str:
    """The record, or the reason it is skipped ("no_id", "no_time")."""
    if not isinstance(row, dict) or not _text(row.get("id")):
        return "no_id"
    start = timestamp(row.get("startTime"))
    if start is None:
        return "no_time"
    problems: list[str] = []
    kind = (_text(row.get("type")) or "").upper()
    level = (_text(row.get("level")) or "DEFAULT").upper()
    if level not in LEVELS:
        problems.append("unknown_level")
        level = "DEFAULT"
    values: dict[str, float | None] = {}
    for name, paths in (
        ("input_tokens", ("usageDetails.input", "usage.input", "usage.promptTokens", "promptTokens")),
        (
            "output_tokens",
            ("usageDetails.output", "usage.output", "usage.completionTokens", "completionTokens"),
        ),
        ("cost_usd", ("costDetails.total", "totalCost", "calculatedTotalCost")),
        ("latency_s", ("latency",)),
        ("ttft_s", ("timeToFirstToken",)),
    ):
        values[name], bad = _measure(_first(row, *paths))
        if bad:
            problems.append(f"bad_{name.split('_')[0]}")
    if values["latency_s"] is None:
        values["latency_s"] = _span(start, row.get("endTime"))
    if values["ttft_s"] is None:
        values["ttft_s"] = _span(start, row.get("completionStartTime"))
    return Observation(
        id=row["id"],
        time=start,
        type=kind if kind in TYPES else OTHER,
        level=level,
        environment=_text(row.get("environment")) or DEFAULT_ENVIRONMENT,
        model=_text(row.get("model")) or _text(row.get("providedModelName")) or UNKNOWN_MODEL,
        complete=kind == "EVENT" or row.get("endTime") is not None,
        problems=tuple(problems),
        **values,
    )


def _boolean(value: Any, text: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(text, str) and text.strip().lower() in _TRUE | _FALSE:
        return 1.0 if text.strip().lower() in _TRUE else 0.0
    if (as_number := number(value)) in (0.0, 1.0):
        return as_number
    return None


def _data_type(row: dict[str, Any]) -> str:
    given = _text(row.get("dataType"))
    if given:
        return given.upper()
    value = row.get("value")  # scores from before data types existed
    return "BOOLEAN" if isinstance(value, bool) else "CATEGORICAL" if isinstance(value, str) else "NUMERIC"


def score(row: Any) -> Score | str:
    """The record, or why it is skipped ("no_id", "no_time", "no_name", "unknown_data_type", "bad_value")."""
    if not isinstance(row, dict) or not _text(row.get("id")):
        return "no_id"
    when = timestamp(row.get("timestamp"))
    if when is None:
        return "no_time"
    name = _text(row.get("name"))
    if name is None:
        return "no_name"
    data_type = _data_type(row)
    if data_type not in DATA_TYPES:
        return "unknown_data_type"
    source = (_text(row.get("source")) or OTHER).upper()
    record = Score(row["id"], when, name, source if source in SOURCES else OTHER, data_type)
    if data_type == "NUMERIC":
        if (value := number(row.get("value"))) is None:
            return "bad_value"
        return replace(record, value=value)
    if data_type == "BOOLEAN":
        if (value := _boolean(row.get("value"), row.get("stringValue"))) is None:
            return "bad_value"
        return replace(record, value=value)
    if data_type == "CATEGORICAL":
        category = _text(row.get("stringValue")) or _text(row.get("value"))
        if category is None:
            return "bad_value"
        return replace(record, category=category)
    return record
