"""The LiteLLM twin's HTTP server: LiteLLM's admin API subset over the scenario-driven gateway state.

Auth is LiteLLM's: ``Authorization: Bearer <master key>`` on every route except the health probes;
a missing or wrong key is 401 with LiteLLM's error object ``{"error": {"message", "type", "param",
"code"}}`` whose ``code`` is a string; Enterprise-only routes answer 403. Request validation errors
are FastAPI's 422 ``{"detail": [...]}``; a disconnected database makes readiness 503 and the DB-backed
routes 500 ``{"detail": {"error": ...}}`` as LiteLLM does. With ``admin_rpm`` set by the scenario,
admin requests beyond that many per minute get 429 with ``Retry-After`` (seconds).

The master key is only ever compared, never logged: request log lines carry method, path and status.
"""

from __future__ import annotations

import email.utils
import hmac
import json
import logging
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mock.db import current_clock, open_db, read_history
from mock.scenario import Scenario, get_scenario, load_scenarios
from mock.twins.litellm import shapes
from mock.twins.litellm.promtext import render_metrics
from mock.twins.litellm.state import Gateway, Timeline, compute_gateway
from mock.twins.litellm.world import World, history_rows, load_world
from mock.twins.served import ServedTwin, TwinHttpServer

log = logging.getLogger("llmon.mock.twin.litellm")
RATE_WINDOW_S = 60.0
MAX_ACTIVITY_PAGE = 1000
DB_NOT_CONNECTED = "DB not connected. This endpoint needs a database; set DATABASE_URL and restart the proxy."


class Reply(Exception):  # noqa: N818 - a response, not an error
    """A finished response, raised from anywhere in a handler."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def litellm_error(status: int, message: str, kind: str, param: str | None = "None") -> Reply:
    """LiteLLM's ProxyException body: code is the status as a string."""
    return Reply(status, {"error": {"message": message, "type": kind, "param": param, "code": str(status)}})


def _validation_error(field: str, message: str) -> Reply:
    return Reply(422, {"detail": [{"type": "value_error", "loc": ["query", field], "msg": message}]})


def _int_param(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name, [str(default)])[0]
    try:
        value = int(raw)
    except ValueError:
        raise _validation_error(name, "Input should be a valid integer") from None
    if not low <= value <= high:
        raise _validation_error(name, f"Input should be between {low} and {high}")
    return value


def _page(items: list[Any], page: int, size: int) -> tuple[list[Any], int]:
    return items[(page - 1) * size : page * size], max(1, math.ceil(len(items) / size))


class GatewayClock:
    """The gateway state for now, recomputed when scenario time moves (at most once per second)."""

    def __init__(self, db_path: Path, world: World, scenarios: dict[str, Scenario]) -> None:
        self._db_path = db_path
        self._world = world
        self._scenarios = scenarios
        self._lock = threading.Lock()
        self._cached: tuple[tuple[Any, ...], Gateway] | None = None

    def gateway(self) -> Gateway:
        with open_db(self._db_path) as conn:
            state = current_clock(conn, time.time())
            history = read_history(conn)
        tau_now = state.t(time.time())
        parts = [(get_scenario(self._scenarios, name), float(d)) for name, d in history]
        parts.append((get_scenario(self._scenarios, state.scenario), float(math.floor(tau_now))))
        cache_key = (state.origin_wall, tuple((s.name, d) for s, d in parts))
        with self._lock:
            if self._cached is None or self._cached[0] != cache_key:
                origin = float(state.origin_wall or time.time())
                self._cached = (cache_key, compute_gateway(self._world, Timeline(parts), origin))
            return self._cached[1]


class LitellmApi:
    """Routes, auth and rate limiting; ``handle`` returns (status, body, headers)."""

    def __init__(self, db_path: Path, master_key: str, clock: GatewayClock) -> None:
        self._db_path = db_path
        self._master_key = master_key
        self._clock = clock
        self._admin_calls: deque[float] = deque()
        self._rate_lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self._public: dict[str, Callable[[Gateway, dict[str, list[str]]], Any]] = {
            "/health/liveliness": self._liveliness,
            "/health/liveness": self._liveliness,
            "/health/readiness": self._readiness,
        }
        self._admin: dict[str, Callable[[Gateway, dict[str, list[str]]], Any]] = {
            "/model/info": self._model_info,
            "/v1/model/info": self._model_info,
            "/v2/model/info": self._model_info_v2,
            "/key/list": self._key_list,
            "/team/list": self._team_list,
            "/v2/team/list": self._team_list_v2,
            "/user/list": self._user_list,
            "/user/info": self._user_info,
            "/user/daily/activity": lambda g, q: self._activity(g, q, None),
            "/team/daily/activity": lambda g, q: self._activity(g, q, "team"),
            "/metrics": self._metrics,
        }

    def now(self) -> float:
        return self._clock.gateway().now

    def handle(self, method: str, target: str, authorization: str | None) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        self.requests[path] += 1
        query = parse_qs(parts.query)
        try:
            if method != "GET":
                raise Reply(405, {"detail": "Method Not Allowed"})
            if path in self._public:
                return 200, self._public[path](self._clock.gateway(), query), {}
            if path.startswith("/global/spend/report") or path == "/global/spend/tags":
                self._authenticate(authorization)
                raise litellm_error(
                    403,
                    f"{path} endpoint You must be a LiteLLM Enterprise user to use this feature.",
                    "auth_error",
                )
            if path not in self._admin:
                raise Reply(404, {"detail": "Not Found"})
            self._authenticate(authorization)
            gateway = self._clock.gateway()
            self._rate_limit(gateway)
            if gateway.targets.db != "connected" and path != "/metrics":
                raise Reply(500, {"detail": {"error": DB_NOT_CONNECTED}})
            return 200, self._admin[path](gateway, query), {}
        except Reply as reply:
            return reply.status, reply.body, reply.headers

    # --- gatekeeping -------------------------------------------------------------------------------

    def _authenticate(self, authorization: str | None) -> None:
        if not authorization:
            raise litellm_error(401, "Authentication Error, No api key passed in.", "auth_error")
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token.strip():
            raise litellm_error(
                401,
                "Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.",
                "auth_error",
            )
        if not hmac.compare_digest(token.strip().encode(), self._master_key.encode()):
            raise litellm_error(401, "Authentication Error, Invalid proxy server token passed.", "auth_error")

    def _rate_limit(self, gateway: Gateway) -> None:
        limit = gateway.targets.admin_rpm
        now = time.monotonic()
        with self._rate_lock:
            while self._admin_calls and now - self._admin_calls[0] >= RATE_WINDOW_S:
                self._admin_calls.popleft()
            if limit is not None and len(self._admin_calls) >= limit:
                retry = max(1, math.ceil(RATE_WINDOW_S - (now - self._admin_calls[0])))
                reply = litellm_error(
                    429,
                    f"LiteLLM Rate Limit Handler: Crossed RPM limit. current rpm: {len(self._admin_calls)}, "
                    f"rpm limit: {limit}",
                    "None",
                )
                reply.headers["Retry-After"] = str(retry)
                raise reply
            self._admin_calls.append(now)

    # --- routes ------------------------------------------------------------------------------------

    def _liveliness(self, gateway: Gateway, query: dict[str, list[str]]) -> Any:
        return "I'm alive!"

    def _readiness(self, gateway: Gateway, query: dict[str, list[str]]) -> Any:
        if gateway.targets.db != "connected":
            raise Reply(503, {"status": "unhealthy", "db": "disconnected"})
        return {"status": "healthy", "db": "connected"}

    def _model_info(self, gateway: Gateway, query: dict[str, list[str]]) -> Any:
        return {"data": [shapes.model_entry(m) for m in gateway.world.models]}

    def _model_info_v2(self, gateway: Gateway, query: dict[str, list[str]]) -> Any:
        page = _int_param(query, "page", 1, 1, 10**6)
        size = _int_param(query, "size", 50, 1, 100)
        chunk, pages = _page(list(gateway.world.models), page, size)
        return {
            "data": [shapes.model_entry(m) for m in chunk],
            "total_count": len(gateway.world.models),
            "current_page": page,
            "total_pages": pages,
            "size": size,
        }

    def _key_list(self, gateway: Gateway, query: dict[str, list[str]]) -> Any:
        page = _int_param(query, "page", 1, 1, 10**6)
        size = _int_param(query, "size", 10, 1, 100)
        full = query.get("return_full_object", ["false"])[0].lower() == "true"
        keys = [
            k
            for k in gateway.world.keys.values()
            if all(query.get(f, [getattr(k, f)])[0] == getattr(k, f) for f in ("team_id", "user_id"))
        ]
        chunk, pages = _page(keys, page, size)
        return {
            "keys": [shapes.key_object(gateway, k) if full else k.token for k in chunk],
            "total_count": len(keys),
            "current_page": page,
            "total_pages": pages,
        }

    def _team_list(self, gateway: Gateway, query: dict[str, list[str]]) -> Any:
        keys = list(gateway.world.keys.values())
        return [
            {
                **shapes.team_object(gateway, team),
                "keys": [shapes.key_object(gateway, k) for k in keys if k.team_id == team.team_id],
            }
            for team in gateway.world.teams.values()
        ]

    def _team_list_v2(self, gateway: Gateway, query: dict[str, list[str]]) -> Any:
        page = _int_param(query, "page", 1, 1, 10**6)
        size = _int_param(query, "page_size", 10, 1, 100)
        teams = list(gateway.world.teams.values())
        chunk, pages = _page(teams, page, size)
        return {
            "teams": [shapes.team_object(gateway, t) for t in chunk],
            "total": len(teams),
            "page": page,
            "page_size": size,
            "total_pages": pages,
        }

    def _user_spend(self, gateway: Gateway) -> dict[str, float]:
        spend = {user_id: user.history_spend for user_id, user in gateway.world.users.items()}
        for figures in gateway.live_days.values():
            for row in figures:
                user_id = gateway.world.keys[row.api_key].user_id
                if user_id in spend:
                    spend[user_id] += row.spend
        return spend

    def _user_list(self, gateway: Gateway, query: dict[str, list[str]]) -> Any:
        page = _int_param(query, "page", 1, 1, 10**6)
        size = _int_param(query, "page_size", 25, 1, 100)
        spend = self._user_spend(gateway)
        users = list(gateway.world.users.values())
        chunk, pages = _page(users, page, size)
        return {
            "users": [shapes.user_object(u, spend[u.user_id]) for u in chunk],
            "total": len(users),
            "page": page,
            "page_size": size,
            "total_pages": pages,
        }

    def _user_info(self, gateway: Gateway, query: dict[str, list[str]]) -> Any:
        user_id = query.get("user_id", [""])[0]
        user = gateway.world.users.get(user_id)
        if user is None:
            raise litellm_error(404, f"User id = {user_id} not found", "not_found_error", "user_id")
        keys = [k for k in gateway.world.keys.values() if k.user_id == user_id]
        return {
            "user_id": user_id,
            "user_info": shapes.user_object(user, self._user_spend(gateway)[user_id]),
            "keys": [shapes.key_object(gateway, k) for k in keys],
            "teams": [shapes.team_object(gateway, gateway.world.teams[user.team_id])] if user.team_id else [],
        }

    def _activity(self, gateway: Gateway, query: dict[str, list[str]], entity: str | None) -> Any:
        try:
            first = gateway.day_of_date(query["start_date"][0])
            last = gateway.day_of_date(query["end_date"][0])
        except (KeyError, ValueError):
            raise _validation_error(
                "start_date", "start_date and end_date are required as YYYY-MM-DD"
            ) from None
        page = _int_param(query, "page", 1, 1, 10**6)
        size = _int_param(query, "page_size", 50, 1, MAX_ACTIVITY_PAGE)
        with open_db(self._db_path) as conn:
            rows = history_rows(conn, first, last)
        for day in range(max(first, 0), min(last, gateway.today) + 1):
            rows.extend(f.as_row(day) for f in gateway.live_days.get(day, []))
        filters = {"api_key": query.get("api_key"), "model": query.get("model")}
        if entity == "team" and query.get("team_ids"):
            filters["team_id"] = query["team_ids"][0].split(",")
        for field, wanted in filters.items():
            if wanted:
                rows = [row for row in rows if row[field] in wanted]
        rows.sort(key=lambda r: (r["day_offset"], r["api_key"], r["model"]))
        return shapes.daily_activity(gateway, rows, page, size, entity)

    def _metrics(self, gateway: Gateway, query: dict[str, list[str]]) -> Any:
        return _Text(render_metrics(gateway))


class _Text(str):
    """A body sent as Prometheus text instead of JSON."""


class _Handler(BaseHTTPRequestHandler):
    server: TwinHttpServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header in the gateway's clock, so a client learns which day it is there."""
        return email.utils.formatdate(self.server.api.now(), usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet by default: request lines go to debug (they never contain the key)."""

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, body, headers = self.server.api.handle(method, self.path, self.headers.get("Authorization"))
        if isinstance(body, _Text):
            payload, ctype = body.encode(), "text/plain; version=0.0.4; charset=utf-8"
        else:
            payload, ctype = json.dumps(body).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        log.debug("request", extra={"method": method, "path": urlsplit(self.path).path, "status": status})


class LitellmTwin(ServedTwin):
    """Start with ``start()`` (binds; port 0 picks a free one), stop with ``stop()``."""

    twin_name = "litellm"
    handler = _Handler

    def __init__(
        self,
        db_path: Path,
        master_key: str,
        host: str = "127.0.0.1",
        port: int = 4000,
        scenarios: dict[str, Scenario] | None = None,
    ) -> None:
        with open_db(db_path) as conn:
            world = load_world(conn)
        self.clock = GatewayClock(db_path, world, scenarios or load_scenarios())
        self.api = LitellmApi(db_path, master_key, self.clock)
        super().__init__(host, port)
