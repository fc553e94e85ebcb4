"""How long an upstream asked us to wait: the Retry-After header of a 429 or 503 (RFC 9110 10.2.3)."""

from __future__ import annotations

import email.utils

DEFAULT_RETRY_AFTER_S = 60.0


def retry_after(value: str | None, now: float, default: float = DEFAULT_RETRY_AFTER_S) -> float:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date); ``default`` when the
    header is absent or unreadable, so a 429 without it still pauses instead of retrying at once."""
    if not value:
        return default
    text = value.strip()
    if text.isdecimal():
        return float(text)
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return default
    return max(0.0, parsed.timestamp() - now)
