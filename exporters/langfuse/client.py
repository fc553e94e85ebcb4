"""HTTP to Langfuse's public API: Basic auth, error classes, rate limits, backoff and request counts.

One client is shared by every source, so the exporter has one picture of the server's limits:
- 429: nothing more is sent to that *resource* (Langfuse budgets reads per resource: legacy objects,
  other reads, metrics, v2 metrics, daily metrics) until ``Retry-After`` has passed (60 s if absent);
  an answer with ``X-RateLimit-Remaining: 0`` pauses the resource until ``X-RateLimit-Reset`` too, so
  the budget is not overdrawn in the first place;
- 401/403, 5xx, timeouts and refused connections: later calls are skipped with exponential backoff
  (one interval, doubling, at most ``MAX_BACKOFF_S``), so wrong keys cost one request per period;
- 404 raises ``NotServedError`` (reason "unsupported"): the caller decides whether that means "fall back to
  an older surface";
- 500 "Timeout error" and Cloud's 524 (ClickHouse gave up) count as timeouts, not as server bugs.

Messages name the path, the status and Langfuse's own message with anything key-like removed: the
keys are never logged, not even when a server echoes them.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from exporters.base import CollectError
from exporters.base.jsonfields import number, timestamp
from exporters.base.retry import retry_after

MAX_BACKOFF_S = 300.0
MAX_MESSAGE = 100
HEALTH_PATH = "/api/public/health"
_KEY_LIKE = re.compile(r"[ps]k-lf-[\w-]+", re.IGNORECASE)

#: Langfuse Cloud's rate-limit resources (RateLimitService.ts), by path; everything else is "public-api".
RESOURCES = {
    "/api/public/traces": "public-api-legacy",
    "/api/public/observations": "public-api-legacy",
    "/api/public/sessions": "public-api-legacy",
    "/api/public/metrics": "public-api-metrics",
    "/api/public/v2/metrics": "public-api-v2-metrics",
    "/api/public/metrics/daily": "public-api-daily-metrics-legacy",
}


def resource_of(path: str) -> str:
    return RESOURCES.get(path, "public-api")


class NotServedError(CollectError):
    """The server does not serve this path (an older or newer Langfuse, or a v4 write-mode gate)."""

    def __init__(self, path: str) -> None:
        super().__init__("unsupported", f"GET {path}: 404, not served by this Langfuse")
        self.path = path


def _reset_time(value: str | None) -> float | None:
    """X-RateLimit-Reset: Langfuse sends a date string; accept ISO 8601 and HTTP dates."""
    if not value:
        return None
    if (parsed := timestamp(value)) is not None:
        return parsed
    with contextlib.suppress(TypeError, ValueError, IndexError):
        return email.utils.parsedate_to_datetime(value).timestamp()
    return None


class LangfuseClient:
    """GET JSON from Langfuse; raises CollectError with a bounded reason and a key-free message."""

    def __init__(
        self,
        http: httpx.Client,
        public_key: str,
        secret_key: str,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        token = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode("ascii")
        self._auth = {"Authorization": f"Basic {token}"}
        self._secrets = [s for s in (public_key, secret_key, token) if s]
        self._interval = interval
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._paused: dict[str, tuple[float, CollectError]] = {}  # resource (or "*") -> until, cause
        self._failures = 0
        self._server_date: tuple[float, float] | None = None  # (server Unix time, our monotonic then)
        self.requests: dict[tuple[str, str], int] = {}
        self.remaining: dict[str, float] = {}

    def server_now(self) -> float:
        """Langfuse's clock: its last Date header plus the time since, else ours. Windows are cut in
        the server's time, so a skewed exporter clock neither skips nor repeats events."""
        with self._lock:
            if self._server_date is None:
                return self._wall_clock()
            server, seen_at = self._server_date
        return server + (self._clock() - seen_at)

    def knows_server_clock(self) -> bool:
        with self._lock:
            return self._server_date is not None

    def health(self) -> tuple[int, Any]:
        """Status and JSON body (None if not JSON) of the unauthenticated health endpoint. Never paused
        and never starts a backoff: it is how the exporter sees that Langfuse is back."""
        response = self._send(HEALTH_PATH, {"failIfDatabaseUnavailable": "true"}, auth=False)
        try:
            body = response.json()
        except ValueError:
            body = None
        return response.status_code, body

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        resource = resource_of(path)
        with self._lock:
            for key in ("*", resource):
                until, cause = self._paused.get(key, (0.0, None))
                if cause is not None and self._clock() < until:
                    raise cause
        response = self._send(path, params, auth=True)
        status = response.status_code
        if status == 429:
            wait = retry_after(response.headers.get("Retry-After"), self._wall_clock())
            error = CollectError("rate_limited", f"GET {path}: 429, {resource} paused {wait:g}s as asked")
            with self._lock:
                self._paused[resource] = (self._clock() + wait, error)
            raise error
        if status == 404:
            raise NotServedError(path)
        if status in (401, 403):
            raise self._fail(
                CollectError("auth", f"GET {path}: {status} ({self._text(response)}); check the keys")
            )
        if status == 524 or (status == 500 and "timeout" in self._text(response).lower()):
            raise self._fail(CollectError("timeout", f"GET {path}: {status}, Langfuse's query timed out"))
        if status >= 500:
            raise self._fail(CollectError("http_status", f"GET {path}: {status} ({self._text(response)})"))
        if status != 200:
            raise CollectError("http_status", f"GET {path}: {status} ({self._text(response)})")
        with self._lock:
            self._failures = 0
            self._paused.pop("*", None)
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise CollectError("malformed", f"GET {path}: the body is not complete JSON") from None

    def _send(self, path: str, params: Mapping[str, Any] | None, auth: bool) -> httpx.Response:
        fail = self._fail if auth else (lambda error: error)
        try:
            response = self._http.get(path, params=params, headers=self._auth if auth else None)
        except httpx.TimeoutException:
            self._count(path, "timeout")
            raise fail(CollectError("timeout", f"GET {path}: no answer within the timeout")) from None
        except httpx.TransportError as exc:
            self._count(path, "unreachable")
            raise fail(CollectError("unreachable", f"GET {path}: {type(exc).__name__}")) from None
        self._count(path, str(response.status_code))
        self._note_headers(path, response)
        return response

    def _count(self, path: str, code: str) -> None:
        with self._lock:
            self.requests[(path, code)] = self.requests.get((path, code), 0) + 1

    def _note_headers(self, path: str, response: httpx.Response) -> None:
        headers = response.headers
        with contextlib.suppress(TypeError, ValueError, IndexError):
            if date := headers.get("Date"):
                server = email.utils.parsedate_to_datetime(date).timestamp()
                with self._lock:
                    self._server_date = (server, self._clock())
        remaining = number(headers.get("X-RateLimit-Remaining"))
        if remaining is None:
            return
        resource = resource_of(path)
        with self._lock:
            self.remaining[resource] = remaining
        reset = _reset_time(headers.get("X-RateLimit-Reset"))
        if remaining <= 0 and reset is not None and response.status_code != 429:
            wait = max(0.0, reset - self._wall_clock())
            error = CollectError("rate_limited", f"GET {path}: {resource} budget used up; paused {wait:.0f}s")
            with self._lock:
                self._paused[resource] = (self._clock() + wait, error)

    def _text(self, response: httpx.Response) -> str:
        """Langfuse's ``message`` (or "non-JSON body"), short and with every key-like string removed."""
        try:
            body = response.json()
        except ValueError:
            return "non-JSON body"
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str):
            return "no message"
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
        return _KEY_LIKE.sub("[redacted]", message)[:MAX_MESSAGE]

    def _fail(self, error: CollectError) -> CollectError:
        """Back off exponentially from the second consecutive failure on; returns the error to raise."""
        with self._lock:
            self._failures += 1
            delay = min(MAX_BACKOFF_S, self._interval * 2 ** (self._failures - 1))
            if self._failures > 1:
                self._paused["*"] = (self._clock() + delay, error)
        return error
