"""The Langfuse twin's HTTP server: Langfuse's public API (GET) over generated traces.

Which routes exist depends on the surface (``api_version``): v2 has the legacy page-based routes and
daily metrics; v3 adds the metrics query API and the v2/v3 scores; v4 adds v2 observations and v2
metrics (v3 answers those with Langfuse's "only available in a Langfuse v4 write mode" 404). In
``events_only`` mode a v4 server answers every legacy route with 404. With a Cloud plan, calls are
rate limited per resource (429 + Retry-After + X-RateLimit-*) and legacy v4 responses carry
``_deprecation``. Auth is Basic (public key : secret key); errors use Langfuse's ``{"message", ...}``
bodies. Keys are only ever compared, never logged.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hmac
import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from mock.db import open_db
from mock.scenario import Scenario, load_scenarios
from mock.twins.langfuse import catalog, listing, metrics
from mock.twins.langfuse.events import LEVELS, OBSERVATION_NAMES, OBSERVATION_TYPES, SCORE_NAMES, Batch
from mock.twins.langfuse.ratelimit import DAILY, LEGACY, METRICS, METRICS_V2, PUBLIC, RateLimiter
from mock.twins.langfuse.routes import (
    DEPRECATIONS,
    NOT_V4_WRITE_MODE,
    Reply,
    bad_request,
    not_found,
    page_meta,
    parse_time,
    read_int,
    read_list,
)
from mock.twins.langfuse.shapes import OBSERVATION_V2_GROUPS, SCORE_V3_GROUPS, TRACE_FIELD_GROUPS, Shapes, iso
from mock.twins.langfuse.state import Moment, TwinClock
from mock.twins.langfuse.world import load_world
from mock.twins.served import ServedTwin, TwinHttpServer

log = logging.getLogger("llmon.mock.twin.langfuse")
DEFAULT_VERSIONS = {"v4": "4.16.0", "v3": "3.225.4", "v2": "2.95.12"}
SURFACES = tuple(DEFAULT_VERSIONS)
#: Every type Langfuse accepts in a filter (the twin generates the first three).
ALL_OBSERVATION_TYPES = (
    *OBSERVATION_TYPES,
    "AGENT",
    "TOOL",
    "CHAIN",
    "RETRIEVER",
    "EVALUATOR",
    "EMBEDDING",
    "GUARDRAIL",
)
TIMEOUT_MESSAGE = (
    "Query exceeded the resource limits of the database. Narrow the time range "
    "(fromTimestamp/toTimestamp) or add filters.\n"
    "See https://langfuse.com/docs/api-and-data-platform/features/public-api for more details."
)


@dataclass(frozen=True)
class Keys:
    """The project's key pair and, optionally, an organisation key pair (valid but not for project routes)."""

    public: str
    secret: str
    org_public: str | None = None
    org_secret: str | None = None


@dataclass(frozen=True)
class Route:
    handler: Callable[[Moment, dict[str, list[str]], re.Match[str]], Any]
    surfaces: tuple[str, ...]
    resource: str
    legacy: bool  # deprecated on v4 (Cloud) and gone in events_only mode
    v4_gate: bool = False  # exists on v3 code but answers 404 outside the v4 write mode


class LangfuseApi:
    """Routing, auth, rate limits; ``handle`` returns (status, body, headers)."""

    def __init__(
        self,
        clock: TwinClock,
        keys: Keys,
        *,
        api_version: str = "v4",
        version: str | None = None,
        events_only: bool = False,
        cloud_plan: str | None = None,
    ) -> None:
        if api_version not in SURFACES:
            raise ValueError(f"api_version must be one of {', '.join(SURFACES)}")
        self.clock = clock
        self.shapes = Shapes(clock.world)
        self._keys = keys
        self.api_version = api_version
        self.version = version or DEFAULT_VERSIONS[api_version]
        self.events_only = events_only and api_version == "v4"
        self.cloud = cloud_plan is not None
        self._limiter = RateLimiter(cloud_plan) if cloud_plan else None
        self.requests: Counter[str] = Counter()
        all_, v3up = SURFACES, ("v3", "v4")
        self._routes: list[tuple[re.Pattern[str], Route]] = [
            (re.compile(pattern), route)
            for pattern, route in (
                (r"/api/public/traces", Route(self._traces, all_, LEGACY, True)),
                (r"/api/public/traces/(?P<id>[^/]+)", Route(self._trace, all_, LEGACY, True)),
                (r"/api/public/observations", Route(self._observations, all_, LEGACY, True)),
                (r"/api/public/observations/(?P<id>[^/]+)", Route(self._observation, all_, LEGACY, True)),
                (r"/api/public/scores", Route(self._scores_v1, all_, PUBLIC, True)),
                (r"/api/public/v2/scores", Route(self._scores_v1, v3up, PUBLIC, True)),
                (r"/api/public/v3/scores", Route(self._scores_v3, v3up, PUBLIC, False)),
                (r"/api/public/metrics/daily", Route(self._daily, all_, DAILY, True)),
                (r"/api/public/metrics", Route(self._metrics_v1, v3up, METRICS, True)),
                (r"/api/public/v2/metrics", Route(self._metrics_v2, v3up, METRICS_V2, False, v4_gate=True)),
                (
                    r"/api/public/v2/observations",
                    Route(self._observations_v2, v3up, PUBLIC, False, v4_gate=True),
                ),
            )
        ]

    # --- entry point ---------------------------------------------------------------------------------

    def handle(self, method: str, target: str, authorization: str | None) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        self.requests[path] += 1
        query = parse_qs(parts.query)
        headers: dict[str, str] = {}
        try:
            moment = self.clock.moment()
            if path in ("/api/public/health", "/api/public/ready"):
                return self._health(moment, query), {}, {}  # type: ignore[return-value]
            route, match = self._route(path)
            if method != "GET":
                raise Reply(405, {"message": "Method not allowed", "error": "MethodNotAllowedError"})
            if route.legacy and self.events_only:
                raise Reply(
                    404,
                    {
                        "message": "This endpoint is not available on deployments running in Langfuse v4 "
                        "events_only mode. Learn more about Langfuse v4 at: https://langfuse.com/docs/v4"
                    },
                )
            if moment.targets.down:
                raise Reply(503, {"message": "Service Unavailable"})
            self._authenticate(authorization)
            if self._limiter is not None:
                headers = self._rate_limit(route.resource, path, moment)
            if route.v4_gate and self.api_version != "v4":
                raise not_found(NOT_V4_WRITE_MODE[path])
            body = route.handler(moment, query, match)
            if route.legacy and self.cloud and self.api_version == "v4" and isinstance(body, dict):
                body = {**body, "_deprecation": DEPRECATIONS[_family(path)]}
            return 200, body, headers
        except Reply as reply:
            return reply.status, reply.body, {**headers, **reply.headers}
        except listing.QueryTooLarge:
            if self.api_version == "v2":
                return 500, {"message": "Timeout error"}, headers
            return 422, {"message": TIMEOUT_MESSAGE, "error": "Request timed out"}, headers

    def _health(self, moment: Moment, query: dict[str, list[str]]) -> Reply:
        if moment.targets.down:
            raise Reply(503, {"status": "Health check failed", "version": self.version})
        if query.get("failIfNoRecentEvents", ["false"])[0] == "true":
            traffic = moment.generator.traffic
            lo, hi = traffic.index_range(moment.visible_until - 180, moment.visible_until)
            if hi <= lo:
                raise Reply(503, {"status": "No events within the last 3 minutes", "version": self.version})
        raise Reply(200, {"status": "OK", "version": self.version})

    def _route(self, path: str) -> tuple[Route, re.Match[str]]:
        for pattern, route in self._routes:
            match = pattern.fullmatch(path)
            if match and self.api_version in route.surfaces:
                return route, match
        raise Reply(404, {"message": "Not Found", "error": "NotFoundError"})

    def _authenticate(self, authorization: str | None) -> None:
        if not authorization:
            raise Reply(401, {"message": "No authorization header"})
        scheme, _, value = authorization.partition(" ")
        if scheme not in ("Basic", "Bearer"):
            raise Reply(401, {"message": "Invalid authorization header"})
        try:
            public, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            public, secret = "", ""
        keys = self._keys
        if scheme == "Basic" and _same(public, keys.public) and _same(secret, keys.secret):
            return
        org = keys.org_public and keys.org_secret
        if scheme == "Basic" and org and _same(public, keys.org_public) and _same(secret, keys.org_secret):
            raise Reply(403, {"message": "Access denied - insufficient permissions for this endpoint"})
        raise Reply(401, {"message": "Invalid credentials. Confirm that you've configured the correct host."})

    def _rate_limit(self, resource: str, path: str, moment: Moment) -> dict[str, str]:
        assert self._limiter is not None
        verdict = self._limiter.take(resource, moment.now)
        reset = email.utils.formatdate(verdict.reset_at, usegmt=True)
        headers = {
            "X-RateLimit-Limit": str(verdict.limit),
            "X-RateLimit-Remaining": str(verdict.remaining),
            "X-RateLimit-Reset": reset,
        }
        if not verdict.allowed:
            body = {
                "message": f"Rate limit exceeded for GET {path}. "
                f"Retry after {verdict.retry_after} s or upgrade your plan.",
                "code": "rate_limited",
                "details": {
                    "retryAfterSeconds": verdict.retry_after,
                    "limit": verdict.limit,
                    "remaining": 0,
                    "resetAt": iso(verdict.reset_at),
                },
            }
            raise Reply(429, body, {**headers, "Retry-After": str(verdict.retry_after)})
        return headers

    # --- traces --------------------------------------------------------------------------------------

    def _window(
        self, query: dict[str, list[str]], start: str, end: str, moment: Moment
    ) -> tuple[float, float]:
        traffic = moment.generator.traffic
        a = parse_time(query, start, traffic.start)
        b = parse_time(query, end, moment.visible_until + 1e-3)
        return a, min(b, moment.visible_until + 1e-3)

    def _traces(self, moment: Moment, query: dict[str, list[str]], match: re.Match[str]) -> Any:
        page, limit = read_int(query, "page", 1, 1, 10**9), read_int(query, "limit", 50, 1, 100)
        a, b = self._window(query, "fromTimestamp", "toTimestamp", moment)
        fields = tuple(f for f in read_list(query, "fields") if f in TRACE_FIELD_GROUPS) or TRACE_FIELD_GROUPS
        keep = _trace_filter(query)
        hits, total = listing.traces_page(
            moment.generator, a=a, b=b, visible_until=moment.visible_until, keep=keep, page=page, limit=limit
        )
        data = [self.shapes.trace(h.batch, h.row, fields) for h in hits]
        return {"data": data, "meta": page_meta(page, limit, total)}

    def _find_trace(self, moment: Moment, wanted: str) -> tuple[Batch, int]:
        """Look a trace up by id among the last day's traces (ids are hashes: no reverse index)."""
        traffic = moment.generator.traffic
        lo, hi = traffic.index_range(moment.visible_until - 86400, moment.visible_until)
        batch = moment.generator.batch(lo, hi)
        for row in range(len(batch) - 1, -1, -1):
            if self.shapes.trace_id_of(batch, row) == wanted:
                return batch, row
        raise not_found(f"Trace {wanted} not found within authorized project")

    def _trace(self, moment: Moment, query: dict[str, list[str]], match: re.Match[str]) -> Any:
        batch, row = self._find_trace(moment, match["id"])
        out = self.shapes.trace(batch, row)
        out["observations"] = [self.shapes.observation(batch, row, slot) for slot in range(3)]
        visible = batch.score_present[row] & (batch.score_time[row] <= moment.visible_until)
        out["scores"] = [self.shapes.score_v1(batch, row, slot) for slot in range(3) if visible[slot]]
        return out

    # --- observations --------------------------------------------------------------------------------

    def _observations(self, moment: Moment, query: dict[str, list[str]], match: re.Match[str]) -> Any:
        page, limit = read_int(query, "page", 1, 1, 10**9), read_int(query, "limit", 50, 1, 100)
        a, b = self._window(query, "fromStartTime", "toStartTime", moment)
        hits, total = listing.events_page(
            moment.generator, listing.observation_times, a=a, b=b, visible_until=moment.visible_until,
            keep=_observation_filter(self.shapes, query), page=page, limit=limit,
        )  # fmt: skip
        data = [self.shapes.observation(h.batch, h.row, h.slot) for h in hits]
        return {"data": data, "meta": page_meta(page, limit, total)}

    def _observation(self, moment: Moment, query: dict[str, list[str]], match: re.Match[str]) -> Any:
        traffic = moment.generator.traffic
        lo, hi = traffic.index_range(moment.visible_until - 86400, moment.visible_until)
        batch = moment.generator.batch(lo, hi)
        for row in range(len(batch) - 1, -1, -1):
            for slot in range(3):
                if self.shapes.observation_id_of(batch, row, slot) == match["id"]:
                    if batch.end[row, slot] > moment.visible_until:
                        break
                    return self.shapes.observation(batch, row, slot)
        raise not_found(f"Observation {match['id']} not found within authorized project")

    def _observations_v2(self, moment: Moment, query: dict[str, list[str]], match: re.Match[str]) -> Any:
        limit = read_int(query, "limit", 50, 0, 1000)
        groups = tuple(f for f in read_list(query, "fields") if f in OBSERVATION_V2_GROUPS) or (
            "core",
            "basic",
        )
        a, b = self._window(query, "fromStartTime", "toStartTime", moment)
        before = _decode_cursor(query)
        hits, more = listing.events_after_cursor(
            moment.generator, listing.observation_times, a=a, b=b, visible_until=moment.visible_until,
            keep=_observation_filter(self.shapes, query), before=before, limit=limit,
        )  # fmt: skip
        data = [self.shapes.observation_v2(h.batch, h.row, h.slot, groups) for h in hits]
        meta: dict[str, Any] = {}
        if more and hits:
            last = hits[-1]
            meta["cursor"] = _encode(
                {
                    "lastStartTimeTo": iso(last.time),
                    "lastTraceId": self.shapes.trace_id_of(last.batch, last.row),
                    "lastId": self.shapes.observation_id_of(last.batch, last.row, last.slot),
                    "k": int(last.batch.k[last.row]),
                    "slot": last.slot,
                    "t": last.time,
                },
                urlsafe=False,
            )
        return {"data": data, "meta": meta}

    # --- scores --------------------------------------------------------------------------------------

    def _scores_v1(self, moment: Moment, query: dict[str, list[str]], match: re.Match[str]) -> Any:
        page, limit = read_int(query, "page", 1, 1, 10**9), read_int(query, "limit", 50, 1, 100)
        a, b = self._window(query, "fromTimestamp", "toTimestamp", moment)
        hits, total = listing.events_page(
            moment.generator, listing.score_times, a=a, b=b, visible_until=moment.visible_until,
            keep=_score_filter(query), page=page, limit=limit,
        )  # fmt: skip
        data = [self.shapes.score_v1(h.batch, h.row, h.slot) for h in hits]
        return {"data": data, "meta": page_meta(page, limit, total)}

    def _scores_v3(self, moment: Moment, query: dict[str, list[str]], match: re.Match[str]) -> Any:
        limit = read_int(query, "limit", 50, 1, 100)
        groups = tuple(f for f in read_list(query, "fields") if f in SCORE_V3_GROUPS) or ("core",)
        a, b = self._window(query, "fromTimestamp", "toTimestamp", moment)
        before = None
        if query.get("cursor"):
            cursor = _decode(query["cursor"][0], urlsafe=True)
            before = (float(cursor["t"]), int(cursor["k"]), int(cursor["slot"]))
        hits, more = listing.events_after_cursor(
            moment.generator, listing.score_times, a=a, b=b, visible_until=moment.visible_until,
            keep=_score_filter(query), before=before, limit=limit,
        )  # fmt: skip
        data = [self.shapes.score_v3(h.batch, h.row, h.slot, groups) for h in hits]
        meta: dict[str, Any] = {"limit": limit}
        if more and hits:
            last = hits[-1]
            meta["cursor"] = _encode(
                {
                    "v": 1,
                    "lastTimestamp": iso(last.time),
                    "lastId": self.shapes.score_id_of(last.batch, last.row, last.slot),
                    "k": int(last.batch.k[last.row]),
                    "slot": last.slot,
                    "t": last.time,
                },
                urlsafe=True,
            )
        return {"data": data, "meta": meta}

    # --- metrics -------------------------------------------------------------------------------------

    def _metrics(
        self, moment: Moment, query: dict[str, list[str]], views: tuple[str, ...], max_rows: int
    ) -> Any:
        try:
            parsed = metrics.parse_query(query.get("query", [None])[0], views=views, max_rows=max_rows)
            a, b = metrics.needed_traces(parsed)
            lo, hi = moment.generator.traffic.index_range(a, min(b, moment.visible_until))
            metrics.check_size(lo, hi)
            batch = moment.generator.batch(lo, hi)
            models = tuple(m.name for m in self.clock.world.models)
            view = parsed["view"]
            if view == "observations":
                frame = metrics.observations_frame(batch, models, moment.visible_until)
            elif view == "traces":
                frame = metrics.traces_frame(batch, moment.visible_until)
            else:
                frame = metrics.scores_frame(batch, view, moment.visible_until)
            return {"data": metrics.run_query(parsed, frame)}
        except metrics.QueryError as exc:
            raise bad_request(str(exc)) from None

    def _metrics_v1(self, moment: Moment, query: dict[str, list[str]], match: re.Match[str]) -> Any:
        views = ("traces", "observations", "scores-numeric", "scores-categorical", "scores-boolean")
        return self._metrics(moment, query, views, max_rows=10**6)

    def _metrics_v2(self, moment: Moment, query: dict[str, list[str]], match: re.Match[str]) -> Any:
        views = ("observations", "scores-numeric", "scores-categorical", "scores-boolean")
        return self._metrics(moment, query, views, max_rows=1000)

    def _daily(self, moment: Moment, query: dict[str, list[str]], match: re.Match[str]) -> Any:
        page, limit = read_int(query, "page", 1, 1, 10**9), read_int(query, "limit", 50, 1, 100)
        traffic = moment.generator.traffic
        a, b = self._window(query, "fromTimestamp", "toTimestamp", moment)
        first_day = int(max(a, traffic.start) // 86400)
        last_day = int(b // 86400)
        days = list(range(last_day, first_day - 1, -1))  # newest first
        chosen = days[(page - 1) * limit : page * limit]
        models = tuple(m.name for m in self.clock.world.models)
        environments = set(read_list(query, "environment"))
        rows = []
        for day in chosen:
            lo, hi = traffic.index_range(max(day * 86400.0, a), min((day + 1) * 86400.0, b))
            listing.check_scan(lo, hi)
            batch = moment.generator.batch(lo, hi)
            if environments:
                batch = batch.select(_environment_mask(batch, environments))
            rows.append(metrics.daily_row(iso(day * 86400.0)[:10], batch, models, moment.visible_until))
        return {"data": rows, "meta": page_meta(page, limit, len(days))}


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _family(path: str) -> str:
    for family in ("traces", "observations", "v2/scores", "scores", "metrics"):
        if path.startswith(f"/api/public/{family}"):
            return family.removeprefix("v2/")
    return "metrics"


def _encode(payload: dict[str, Any], *, urlsafe: bool) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return (base64.urlsafe_b64encode(raw).rstrip(b"=") if urlsafe else base64.b64encode(raw)).decode()


def _decode(text: str, *, urlsafe: bool) -> dict[str, Any]:
    try:
        padded = text + "=" * (-len(text) % 4)
        raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
        cursor = json.loads(raw)
        float(cursor["t"]), int(cursor["k"]), int(cursor["slot"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise bad_request("Invalid cursor format") from None
    return cursor


def _decode_cursor(query: dict[str, list[str]]) -> tuple[float, int, int] | None:
    if not query.get("cursor"):
        return None
    cursor = _decode(query["cursor"][0], urlsafe=False)
    return float(cursor["t"]), int(cursor["k"]), int(cursor["slot"])


def _environment_mask(batch: Batch, wanted: set[str]) -> np.ndarray:
    codes = [i for i, name in enumerate(catalog.ENVIRONMENTS) if name in wanted]
    return np.isin(batch.environment, codes)


def _trace_filter(query: dict[str, list[str]]) -> listing.RowFilter | None:
    environments = set(read_list(query, "environment"))
    name = query.get("name", [None])[0]
    if not environments and not name:
        return None

    def keep(batch: Batch) -> np.ndarray:
        mask = np.ones(len(batch), dtype=bool)
        if environments:
            mask &= _environment_mask(batch, environments)
        if name:
            codes = [i for i, n in enumerate(catalog.TRACE_NAMES) if n == name]
            mask &= np.isin(batch.name, codes)
        return mask

    return keep


def _codes(names: tuple[str, ...], wanted: str | None) -> list[int]:
    return [i for i, name in enumerate(names) if name == wanted]


def _observation_filter(shapes: Shapes, query: dict[str, list[str]]) -> listing.RowFilter | None:
    """Legacy and v2 observation filters: type, level, name, traceId, environment."""
    first = {key: query.get(key, [None])[0] for key in ("type", "level", "name", "traceId")}
    environments = set(read_list(query, "environment"))
    if first["type"] is not None and first["type"] not in ALL_OBSERVATION_TYPES:
        raise bad_request(f"type: Invalid enum value. Received '{first['type']}'")
    if first["level"] is not None and first["level"] not in LEVELS:
        raise bad_request(f"level: Invalid enum value. Received '{first['level']}'")
    if not environments and not any(first.values()):
        return None

    def keep(batch: Batch) -> np.ndarray:
        mask = np.ones(batch.obs_type.shape, dtype=bool)
        if first["type"]:
            mask &= np.isin(batch.obs_type, _codes(OBSERVATION_TYPES, first["type"]))
        if first["level"]:
            mask &= np.isin(batch.level, _codes(LEVELS, first["level"]))
        if first["name"]:
            mask &= np.isin(batch.obs_name, _codes(OBSERVATION_NAMES, first["name"]))
        if environments:
            mask &= _environment_mask(batch, environments)[:, None]
        if first["traceId"]:
            ids = np.array([shapes.trace_id_of(batch, row) == first["traceId"] for row in range(len(batch))])
            mask &= ids[:, None]
        return mask

    return keep


def _score_filter(query: dict[str, list[str]]) -> listing.RowFilter | None:
    """Score filters: name, source, dataType, environment (comma lists as in v3)."""
    names = set(read_list(query, "name"))
    sources = {s.upper() for s in read_list(query, "source")}
    types = {t.upper() for t in read_list(query, "dataType")}
    environments = set(read_list(query, "environment"))
    if not (names or sources or types or environments):
        return None
    slots = [
        i
        for i, name in enumerate(SCORE_NAMES)
        if (not names or name in names)
        and (not sources or catalog.SCORE_SOURCES[name] in sources)
        and (not types or catalog.SCORE_TYPES[name] in types)
    ]

    def keep(batch: Batch) -> np.ndarray:
        mask = np.zeros(batch.score_present.shape, dtype=bool)
        mask[:, slots] = True
        if environments:
            mask &= _environment_mask(batch, environments)[:, None]
        return mask

    return keep


class _Handler(BaseHTTPRequestHandler):
    server: TwinHttpServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header in the twin's virtual clock: what "now" is for the events served."""
        return email.utils.formatdate(self.server.api.clock.moment().now, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request lines would only repeat what the debug log says (never a key)."""

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, body, headers = self.server.api.handle(method, self.path, self.headers.get("Authorization"))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        log.debug("request", extra={"method": method, "path": urlsplit(self.path).path, "status": status})


class LangfuseTwin(ServedTwin):
    """Start with ``start()`` (binds; port 0 picks a free one), stop with ``stop()``; a context manager."""

    twin_name = "langfuse"
    handler = _Handler

    def __init__(
        self,
        db_path: Path,
        keys: Keys,
        host: str = "127.0.0.1",
        port: int = 3030,
        *,
        api_version: str = "v4",
        version: str | None = None,
        events_only: bool = False,
        cloud_plan: str | None = None,
        history_traces: int | None = None,
        scenarios: dict[str, Scenario] | None = None,
    ) -> None:
        with open_db(db_path) as conn:
            world = load_world(conn)
        clock = TwinClock(db_path, world, scenarios or load_scenarios(), history_traces)
        self.api = LangfuseApi(
            clock,
            keys,
            api_version=api_version,
            version=version,
            events_only=events_only,
            cloud_plan=cloud_plan,
        )
        super().__init__(host, port)
