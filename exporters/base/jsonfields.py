"""Reading upstream JSON defensively: versions differ in which fields exist, what may be null, and
whether numbers arrive as numbers or as strings (ClickHouse sends 64-bit integers as JSON strings)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from .errors import CollectError


def number(value: Any) -> float | None:
    """A finite float from a number or a numeric string; None for null, missing, booleans, non-numbers
    and infinities (booleans are not numbers here: ``True`` is never a count)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def timestamp(value: Any) -> float | None:
    """Unix seconds from an ISO 8601 datetime (with or without offset, "Z" allowed; naive means UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    """The value if it has the type the shape needs, else a 'malformed' collection error."""
    if not isinstance(value, kind):
        raise CollectError("malformed", f"{what}: unexpected shape")
    return value
