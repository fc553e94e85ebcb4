"""Control of the mock: list and switch scenarios, pause/resume/jump the clock.

``ControlService`` holds the operations; the CLI verbs (``llmon-mock scenario ...``, ``llmon-mock clock
...``) and the JSON control API (``llmon-mock control``) both call it, so they behave identically.
The state they change lives in the mock database, where every twin reads it on its next tick.

HTTP API (stdlib ThreadingHTTPServer, JSON in and out):

    GET  /healthz                 {"status": "ok"}
    GET  /api/v1/scenarios        {"active": name, "scenarios": [{name, description, duration, loop,
                                   alerts, panels, active}]}
    GET  /api/v1/status           {"scenario", "generation", "t", "paused", "speed"}
    PUT  /api/v1/scenario         body {"name": "peak-load"} -> status (POST accepted too)
    POST /api/v1/clock            body {"action": "pause"|"resume"|"jump"|"speed", "seconds": n,
                                   "factor": x} -> status

Errors: ``{"error": {"code", "message", "details"}}`` with 400 (bad JSON or fields), 404 (unknown path,
``scenario_not_found``), 405 (method; with an Allow header), 413 (body over 64 KiB) or 503 (database
unreadable).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mock.clock import ClockState
from mock.db import current_clock, open_db, switch_scenario, update_clock
from mock.errors import ClockError, DatabaseError, MockError, UnknownScenarioError
from mock.scenario import Scenario, get_scenario, load_scenarios

log = logging.getLogger("llmon.mock.control")

MAX_BODY_BYTES = 64 * 1024
CLOCK_ACTIONS = ("pause", "resume", "jump", "speed")


def status_payload(state: ClockState, now: float) -> dict[str, Any]:
    return {
        "scenario": state.scenario,
        "generation": state.generation,
        "t": round(state.t(now), 3),
        "paused": state.paused,
        "speed": state.speed,
    }


class ControlService:
    """Scenario and clock operations on one mock database."""

    def __init__(self, db_path: Path, scenarios: dict[str, Scenario] | None = None) -> None:
        self.db_path = db_path
        self.scenarios = scenarios if scenarios is not None else load_scenarios()

    def status(self, now: float) -> ClockState:
        with open_db(self.db_path) as conn:
            return current_clock(conn, now)

    def set_scenario(self, name: str, now: float) -> ClockState:
        """Switch to ``name`` from t=0; an unknown name raises before the database is touched."""
        get_scenario(self.scenarios, name)
        with open_db(self.db_path) as conn:
            return switch_scenario(conn, name, now)

    def clock(
        self, action: str, now: float, seconds: float | None = None, factor: float | None = None
    ) -> ClockState:
        changes: dict[str, Callable[[ClockState], ClockState]] = {
            "pause": lambda s: s.paused_at(now),
            "resume": lambda s: s.resumed_at(now),
            "jump": lambda s: s.jumped(_required(seconds, "seconds"), now),
            "speed": lambda s: s.with_speed(_required(factor, "factor"), now),
        }
        if action not in changes:
            raise ClockError(f"unknown clock action {action!r} (known: {', '.join(CLOCK_ACTIONS)})")
        with open_db(self.db_path) as conn:
            return update_clock(conn, changes[action])

    def summaries(self, active: str) -> list[dict[str, Any]]:
        return [
            {
                "name": s.name,
                "description": s.description,
                "duration": s.duration,
                "loop": s.loop,
                "alerts": list(s.alerts),
                "panels": list(s.panels),
                "active": s.name == active,
            }
            for s in self.scenarios.values()
        ]


def _required(value: float | None, name: str) -> float:
    if value is None:
        raise ClockError(f"this clock action needs {name!r}")
    return value


# --- HTTP ------------------------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def _number(body: dict[str, Any], field: str) -> float | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "invalid_request", f"{field!r} must be a number", {"field": field}
        )
    return float(value)


def _api_error(exc: MockError) -> ApiError:
    """The HTTP face of the mock's own errors."""
    if isinstance(exc, UnknownScenarioError):
        details = {"name": exc.name, "known": exc.known}
        return ApiError(HTTPStatus.NOT_FOUND, "scenario_not_found", str(exc), details)
    if isinstance(exc, DatabaseError):
        return ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "database_unavailable", str(exc))
    return ApiError(HTTPStatus.BAD_REQUEST, "invalid_request", str(exc))


class _Handler(BaseHTTPRequestHandler):
    server: _ControlHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "llmon-mock-control"

    # route -> method -> handler name
    ROUTES: dict[str, dict[str, str]] = {
        "/healthz": {"GET": "_healthz"},
        "/api/v1/scenarios": {"GET": "_scenarios"},
        "/api/v1/status": {"GET": "_status"},
        "/api/v1/scenario": {"PUT": "_set_scenario", "POST": "_set_scenario"},
        "/api/v1/clock": {"POST": "_clock"},
    }

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("request", extra={"line": format % args})

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        methods = self.ROUTES.get(path)
        try:
            if methods is None:
                raise ApiError(HTTPStatus.NOT_FOUND, "not_found", f"no such endpoint: {path}", {"path": path})
            if method not in methods:
                raise ApiError(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    f"{method} is not allowed on {path}",
                    {"allowed": sorted(methods)},
                )
            self._send(HTTPStatus.OK, getattr(self, methods[method])())
        except (ApiError, MockError) as exc:
            self._send_error(exc if isinstance(exc, ApiError) else _api_error(exc))

    def _send_error(self, error: ApiError) -> None:
        # Close the connection: a request body we did not read must not be taken for the next request.
        headers = {"Connection": "close"}
        if error.status == HTTPStatus.METHOD_NOT_ALLOWED:
            headers["Allow"] = ", ".join(error.details["allowed"])
        body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
        self._send(error.status, body, headers)

    def _send(
        self, status: HTTPStatus, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        body = (json.dumps(payload) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> dict[str, Any]:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ApiError(
                HTTPStatus.BAD_REQUEST, "invalid_request", "Content-Length is not a number"
            ) from None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "payload_too_large",
                f"request body over {MAX_BODY_BYTES} bytes",
                {"limit": MAX_BODY_BYTES},
            )
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(
                HTTPStatus.BAD_REQUEST, "invalid_json", f"request body is not JSON: {exc}"
            ) from None
        if not isinstance(body, dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_request", "request body must be a JSON object")
        return body

    def _healthz(self) -> dict[str, Any]:
        return {"status": "ok"}

    def _scenarios(self) -> dict[str, Any]:
        state = self.server.service.status(time.time())
        return {"active": state.scenario, "scenarios": self.server.service.summaries(state.scenario)}

    def _status(self) -> dict[str, Any]:
        now = time.time()
        return status_payload(self.server.service.status(now), now)

    def _set_scenario(self) -> dict[str, Any]:
        name = self._body().get("name")
        if not isinstance(name, str) or not name:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "invalid_request",
                "'name' must be a non-empty string",
                {"field": "name"},
            )
        now = time.time()
        state = self.server.service.set_scenario(name, now)
        log.info("scenario switched", extra={"to": name, "generation": state.generation})
        return status_payload(state, now)

    def _clock(self) -> dict[str, Any]:
        body = self._body()
        action = body.get("action")
        if action not in CLOCK_ACTIONS:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "invalid_request",
                f"'action' must be one of {', '.join(CLOCK_ACTIONS)}",
                {"field": "action", "allowed": list(CLOCK_ACTIONS)},
            )
        now = time.time()
        state = self.server.service.clock(action, now, _number(body, "seconds"), _number(body, "factor"))
        return status_payload(state, now)


class _ControlHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], service: ControlService) -> None:
        self.service = service
        super().__init__(address, _Handler)


def parse_listen(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdecimal() or int(port) > 65535:
        raise MockError(f"--listen: expected HOST:PORT, got {address!r}")
    return host.strip("[]"), int(port)


class ControlServer:
    """The control API on a background thread; ``port`` 0 picks a free port (see ``url``)."""

    def __init__(self, service: ControlService, host: str = "127.0.0.1", port: int = 9879) -> None:
        try:
            self._httpd = _ControlHTTPServer((host, port), service)
        except OSError as exc:
            raise MockError(f"--listen: cannot listen on {host}:{port}: {exc.strerror}") from None
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="llmon-mock-control",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ControlServer:
        self._thread.start()
        log.info("control API listening", extra={"url": self.url})
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ControlServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
