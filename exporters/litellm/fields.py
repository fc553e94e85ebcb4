"""Reading LiteLLM's JSON defensively: versions differ in which fields exist and what may be null.

Budgets arrive as numbers, null, strings ("inf", "1e3") or JSON's Infinity; "no budget" in any of those
spellings becomes None so no series is emitted (absence is how the rules see "unlimited").
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from exporters.base import CollectError


def number(value: Any) -> float | None:
    """A finite float, or None for null, missing, non-numbers and infinities."""
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
    """Unix seconds from LiteLLM's ISO datetimes (with or without offset, "Z" allowed)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:  # LiteLLM writes naive datetimes in UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    """The value if it has the type the shape needs, else a 'malformed' collection error."""
    if not isinstance(value, kind):
        raise CollectError("malformed", f"{what}: unexpected shape")
    return value
