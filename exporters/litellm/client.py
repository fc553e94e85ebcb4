"""HTTP to the LiteLLM proxy: Bearer auth, error classification, Retry-After and backoff.

One client is shared by every source of the exporter, so a 429 or a dead proxy pauses all of them:
- 429: no request at all until ``Retry-After`` has passed (seconds or an HTTP date; 60 s if absent);
- 5xx, timeouts, refused connections and 401/403: the next attempts are skipped with exponential
  backoff (one interval, doubling, at most ``MAX_BACKOFF_S``), so a wrong master key costs one request
  per backoff period, not a storm, and gives one log line (the base logs each distinct cause once).
Skipped polls raise CollectError like the failure that caused them (the cause is still true); they are
counted per reason in ``skipped``, the 429 answers in ``rate_limited``, and ``backoff()`` says why and
how long the pause still lasts, so the exporter can show that it honours Retry-After.

Messages never contain the key: they name the path and LiteLLM's error type or the status only.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from exporters.base import CollectError
from exporters.base.retry import retry_after

MAX_BACKOFF_S = 300.0
#: The CollectError reasons that pause the client (429, and the failures that start a backoff).
PAUSING_REASONS = ("rate_limited", "auth", "timeout", "unreachable", "http_status")


def _error_text(response: httpx.Response) -> str:
    """LiteLLM's error type, FastAPI's detail, or nothing: never the body verbatim (it may echo input)."""
    try:
        body = response.json()
    except ValueError:
        return "non-JSON body"
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return f"type {body['error'].get('type')!s:.40}"
    if isinstance(body, dict) and "detail" in body:
        return "FastAPI detail body"
    return "unexpected body"


class ProxyClient:
    """GET JSON or text from the proxy; raises CollectError with a bounded reason."""

    def __init__(
        self,
        http: httpx.Client,
        master_key: str,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._auth = {"Authorization": f"Bearer {master_key}"}
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._pause_cause: CollectError | None = None
        self._failures = 0
        self.rate_limited = 0
        self.skipped: Counter[str] = Counter()
        self.requests_sent = 0
        self.bytes_received = 0
        self.server_date: float | None = None  # the proxy's clock, from the Date header

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, auth: bool = True) -> Any:
        response = self._get(path, params, auth)
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise CollectError("malformed", f"GET {path}: the body is not JSON") from None

    def probe(self, path: str) -> httpx.Response:
        """An unauthenticated health probe; 200 and 503 are both answers (see _get)."""
        return self._get(path, None, auth=False)

    def get_text(self, path: str) -> str:
        return self._get(path, None, True).text

    def _get(self, path: str, params: Mapping[str, Any] | None, auth: bool) -> httpx.Response:
        """Health probes (auth False) are never paused and never start a backoff: they are how the
        exporter tells the proxy is back."""
        with self._lock:
            if auth and self._pause_cause is not None and self._clock() < self._paused_until:
                self.skipped[self._pause_cause.reason] += 1
                raise self._pause_cause
        fail = self._fail if auth else (lambda error: error)
        try:
            response = self._http.get(path, params=params, headers=self._auth if auth else None)
        except httpx.TimeoutException:
            raise fail(CollectError("timeout", f"GET {path}: no answer within the timeout")) from None
        except httpx.TransportError as exc:
            raise fail(CollectError("unreachable", f"GET {path}: {type(exc).__name__}")) from None
        with self._lock:
            self.requests_sent += 1
            self.bytes_received += len(response.content)
            date = response.headers.get("Date")
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.server_date = email.utils.parsedate_to_datetime(date).timestamp()
        status = response.status_code
        if not auth and status in (200, 503):
            return response  # a probe's answer either way (503: not ready, with a JSON reason)
        if status == 429:
            wait = retry_after(response.headers.get("Retry-After"), time.time())
            error = CollectError("rate_limited", f"GET {path}: 429, retrying after {wait:g}s as asked")
            with self._lock:
                self.rate_limited += 1
                self._paused_until, self._pause_cause = self._clock() + wait, error
            raise error
        if status in (401, 403):
            raise fail(
                CollectError("auth", f"GET {path}: {status} ({_error_text(response)}); check the master key")
            )
        if status >= 500:
            raise fail(CollectError("http_status", f"GET {path}: {status} ({_error_text(response)})"))
        if status != 200:
            raise CollectError("http_status", f"GET {path}: {status} ({_error_text(response)})")
        if auth:
            with self._lock:
                self._failures, self._pause_cause = 0, None
        return response

    def backoff(self) -> tuple[str, float] | None:
        """Why and for how many more seconds authenticated requests stay paused; None when they are not."""
        with self._lock:
            remaining = self._paused_until - self._clock()
            if self._pause_cause is None or remaining <= 0:
                return None
            return self._pause_cause.reason, remaining

    def _fail(self, error: CollectError) -> CollectError:
        """Back off exponentially from this failure on; returns the error to raise."""
        with self._lock:
            self._failures += 1
            delay = min(MAX_BACKOFF_S, self._interval * 2 ** (self._failures - 1))
            if self._failures > 1:
                self._paused_until, self._pause_cause = self._clock() + delay, error
        return error
