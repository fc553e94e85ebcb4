"""Request parsing and Langfuse's error and pagination bodies, shared by every route of the twin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

SUNSET = "2026-11-16"
_NOTICE = (
    "On Langfuse Cloud, Langfuse v3 is deprecated and this endpoint will be removed on November 16, 2026."
)
_OBS_V2 = "GET /api/public/v2/observations?fromStartTime=<from>&toStartTime=<to>"
_OBS_DOCS = "https://langfuse.com/docs/api-and-data-platform/features/observations-api"


def _deprecation(message: str, replacement: str, docs: str) -> dict[str, str]:
    return {
        "message": f"{_NOTICE} {message}",
        "replacement": replacement,
        "docsUrl": docs,
        "sunsetAt": SUNSET,
    }


#: The ``_deprecation`` objects of web/src/features/public-api/server/deprecations.ts, by route family.
DEPRECATIONS: dict[str, dict[str, str]] = {
    "traces": _deprecation(f"In Langfuse v4, read span and trace data via {_OBS_V2}.", _OBS_V2, _OBS_DOCS),
    "observations": _deprecation(f"Use {_OBS_V2} instead.", _OBS_V2, _OBS_DOCS),
    "scores": _deprecation(
        "Use GET /api/public/v3/scores instead.",
        "GET /api/public/v3/scores",
        "https://langfuse.com/docs/api-and-data-platform/features/scores-api",
    ),
    "metrics": _deprecation(
        "Use GET /api/public/v2/metrics?query=<urlencoded json query> instead.",
        "GET /api/public/v2/metrics?query=<urlencoded json query>",
        "https://langfuse.com/docs/metrics/features/metrics-api",
    ),
}
NOT_V4_WRITE_MODE = {
    "/api/public/v2/metrics": "The metrics v2 API is only available in a Langfuse v4 write mode. "
    "Learn more at: https://langfuse.com/docs/v4",
    "/api/public/v2/observations": "The observations v2 API is only available in a Langfuse v4 write mode. "
    "Learn more at: https://langfuse.com/docs/v4",
}


class Reply(Exception):  # noqa: N818 - a response, not an error
    """A finished response, raised from anywhere in a handler."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def bad_request(message: str) -> Reply:
    """Langfuse's zod validation failure: 400 "Invalid request data" with the issues."""
    return Reply(400, {"message": "Invalid request data", "error": [{"message": message}]})


def not_found(message: str) -> Reply:
    return Reply(404, {"message": message, "error": "LangfuseNotFoundError"})


def read_int(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name, [str(default)])[0]
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name}: Expected number, received {raw!r}") from None
    if not low <= value <= high:
        raise bad_request(f"{name}: Number must be between {low} and {high}")
    return value


def read_list(query: dict[str, list[str]], name: str) -> list[str]:
    """A parameter given repeated or comma-separated."""
    return [part.strip() for value in query.get(name, []) for part in value.split(",") if part.strip()]


def parse_time(query: dict[str, list[str]], name: str, default: float) -> float:
    raw = query.get(name, [None])[0]
    if raw is None or raw == "":
        return default
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name}: Invalid datetime") from None
    if parsed.tzinfo is None:
        raise bad_request(f"{name}: Invalid datetime (an offset or Z is required)")
    return parsed.timestamp()


def page_meta(page: int, limit: int, total: int) -> dict[str, int]:
    return {"page": page, "limit": limit, "totalItems": total, "totalPages": -(-total // limit)}
