"""Polling one engine: /metrics every cycle, /health, and its identity (/version, /v1/models).

Every call has its own deadline (``--vllm.timeout``), body reads included, so a server that trickles
bytes cannot hold a worker longer than that. An engine that refuses the connection or times out on
/metrics is not asked anything else in that cycle: it is down, and asking three more times would only
spend the cycle's time. Failures are counted per endpoint and reason in the engine's state; they
never raise out of ``poll``, so one engine cannot disturb the others.

Restarts: a successful scrape after an earlier one counts a restart when the engine's start time (its
earliest ``_created`` timestamp, V1) moved forward or any of its counters went backwards (V0 pages
have no ``_created``). A restart that begins and ends between two polls is seen once; engines that
never come up between crashes are seen as down, not as restarting (the container exporter counts
those restarts).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from exporters.vllm.page import Page, PageError, check_body, parse_page
from exporters.vllm.targets import Target

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 32 * 1024 * 1024
#: How often /version and /v1/models are asked again while nothing suggests they changed.
IDENTITY_REFRESH_S = 60.0
#: Start times closer than this are the same start (float rounding of the timestamps).
START_TIME_SLACK_S = 1.0
#: Reasons after which the engine is not asked anything else this cycle.
DOWN_REASONS = ("timeout", "unreachable")
#: An engine call's failure as a reason of llmon_exporter_collect_errors_total (exporters.base.REASONS):
#: the per-engine detail stays in llmon_vllm_scrape_errors_total; anything the body got wrong is
#: "malformed".
COLLECT_REASONS = {"timeout": "timeout", "unreachable": "unreachable", "http_status": "http_status"}


@dataclass(frozen=True)
class ServedModel:
    """One entry of /v1/models."""

    id: str
    root: str
    parent: str
    max_model_len: int | None


@dataclass
class EngineState:
    """What the exporter knows about one engine, updated in place by ``EnginePoller.poll``."""

    target: Target
    up: bool = False
    healthy: bool = False
    page: Page | None = None
    version: str | None = None
    models: list[ServedModel] = field(default_factory=list)
    identity_at: float | None = None
    start_time: float | None = None
    cumulative: dict[Any, float] = field(default_factory=dict)
    scraped_before: bool = False
    restarts: int = 0
    duration: float = 0.0
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)


def _restarted(state: EngineState, page: Page) -> bool:
    if (
        state.start_time is not None
        and page.start_time is not None
        and page.start_time > state.start_time + START_TIME_SLACK_S
    ):
        return True
    return any(page.cumulative.get(key, value) < value for key, value in state.cumulative.items())


def _models(body: Any) -> list[ServedModel]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise PageError("malformed", "/v1/models: no 'data' list")
    models = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise PageError("malformed", "/v1/models: an entry has no string 'id'")
        length = entry.get("max_model_len")
        models.append(
            ServedModel(
                id=entry["id"],
                root=str(entry.get("root") or entry["id"]),
                parent=str(entry.get("parent") or ""),
                max_model_len=length if isinstance(length, int) and not isinstance(length, bool) else None,
            )
        )
    return models


class EnginePoller:
    """Runs the calls of one engine's poll; shared by every worker thread (httpx.Client is thread-safe)."""

    def __init__(
        self, http: httpx.Client, timeout: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._http = http
        self._timeout = timeout
        self._clock = clock
        self._partial: Counter[str] = Counter()
        self._partial_lock = threading.Lock()

    def take_partial_errors(self) -> Counter[str]:
        """Failed engine calls since the last take, by collect-error reason (see Source)."""
        with self._partial_lock:
            taken, self._partial = self._partial, Counter()
        return taken

    def poll(self, state: EngineState) -> None:
        started = self._clock()
        try:
            page = parse_page(self._metrics(state.target.url))
        except PageError as error:
            state.duration = self._clock() - started
            self._failed(state, "metrics", error)
            state.up, state.page = False, None
            if error.reason in DOWN_REASONS:
                state.healthy = False
                return
        else:
            state.duration = self._clock() - started
            self._scraped(state, page)
        if not self._health(state):
            return
        self._identity(state)

    def _scraped(self, state: EngineState, page: Page) -> None:
        restarted = state.scraped_before and _restarted(state, page)
        if restarted:
            state.restarts += 1
            state.identity_at = None  # a restart may bring another version or model
            log.info("engine restart seen", extra={"deployment": state.target.deployment})
        state.up, state.page, state.scraped_before = True, page, True
        if page.start_time is not None:
            state.start_time = page.start_time
        state.cumulative = page.cumulative

    def _health(self, state: EngineState) -> bool:
        """Whether the engine answered at all (200 is healthy; 503 and others are answers too)."""
        try:
            response = self._get(state.target.url + "/health")
        except PageError as error:
            self._failed(state, "health", error)
            state.healthy = False
            return error.reason not in DOWN_REASONS
        state.healthy = response[0] == 200
        return True

    def _identity(self, state: EngineState) -> None:
        now = self._clock()
        if state.identity_at is not None and now - state.identity_at < IDENTITY_REFRESH_S:
            return
        try:
            version = self._json(state.target.url + "/version")
            if not isinstance(version, dict) or not isinstance(version.get("version"), str):
                raise PageError("malformed", "/version: no string 'version'")
            state.version = version["version"]
        except PageError as error:
            self._failed(state, "version", error)
            if error.reason in DOWN_REASONS:
                return
        try:
            state.models = _models(self._json(state.target.url + "/v1/models"))
        except PageError as error:
            self._failed(state, "models", error)
            return
        state.identity_at = now

    def _failed(self, state: EngineState, endpoint: str, error: PageError) -> None:
        state.errors[(endpoint, error.reason)] += 1
        with self._partial_lock:
            self._partial[COLLECT_REASONS.get(error.reason, "malformed")] += 1
        log.debug(
            "engine call failed",
            extra={"deployment": state.target.deployment, "endpoint": endpoint, "error": error.message},
        )

    def _metrics(self, base: str) -> str:
        status, content_type, body = self._get(base + "/metrics")
        if status != 200:
            raise PageError("http_status", f"/metrics answered HTTP {status}")
        return check_body(body, content_type)

    def _json(self, url: str) -> Any:
        status, _, body = self._get(url)
        if status != 200:
            raise PageError("http_status", f"{url.rsplit('/', 1)[-1]} answered HTTP {status}")
        try:
            return json.loads(body)
        except ValueError:
            raise PageError("not_json", "the answer is not JSON") from None

    def _get(self, url: str) -> tuple[int, str, bytes]:
        """(status, content type, body) within the per-call deadline; PageError on transport failures."""
        deadline = self._clock() + self._timeout
        chunks: list[bytes] = []
        size = 0
        try:
            with self._http.stream("GET", url, timeout=self._timeout) as response:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        raise PageError("too_large", f"the answer is larger than {MAX_BODY_BYTES} bytes")
                    if self._clock() > deadline:
                        raise PageError("timeout", f"no complete answer within {self._timeout:g}s")
                    chunks.append(chunk)
                return response.status_code, response.headers.get("content-type", ""), b"".join(chunks)
        except httpx.TimeoutException:
            raise PageError("timeout", f"no answer within {self._timeout:g}s") from None
        except httpx.RemoteProtocolError as exc:
            if "without sending" in str(exc) and "body" not in str(exc):
                raise PageError("unreachable", "the engine closed the connection without answering") from None
            raise PageError("truncated", "the engine closed the connection before the answer ended") from None
        except httpx.TransportError as exc:
            raise PageError("unreachable", f"cannot connect ({type(exc).__name__})") from None
