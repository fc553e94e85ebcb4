"""A small stand-in for Langfuse's public API, serving recorded-style payloads over real HTTP.

It answers the list endpoints of the three surfaces (v4 cursor, v3/v2 page-based) with time filters,
the v1/v2 metrics query API for the observations view, health, Basic auth and scripted failures
(status codes, 429 with headers, truncated bodies). Its clock is ``now`` (sent as the Date header), so
tests move time without sleeping. Events in ``hidden`` are served by the metrics API only: they stand
for observations ingested after the exporter's overlap window had passed.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PUBLIC_KEY = "pk-lf-test-0d9a7c"
SECRET_KEY = "sk-lf-test-SECRET-5be21f"
NOW = 1_790_000_000.0

SURFACE_PATHS = {
    "v4": {"/api/public/v2/observations", "/api/public/v3/scores", "/api/public/v2/metrics"},
    "v3": {
        "/api/public/observations",
        "/api/public/v2/scores",
        "/api/public/v3/scores",
        "/api/public/metrics",
    },
    "v2": {"/api/public/observations", "/api/public/scores"},
}
VERSIONS = {"v4": "4.16.0", "v3": "3.225.4", "v2": "2.95.12"}


def iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def generation(ident: str, t: float, model: str | None = "gpt-4o", **extra: Any) -> dict[str, Any]:
    row = {
        "id": ident,
        "traceId": f"trace-{ident}",
        "type": "GENERATION",
        "name": "chat",
        "startTime": iso(t),
        "endTime": iso(t + 2.0),
        "completionStartTime": iso(t + 0.4),
        "model": model,
        "level": "DEFAULT",
        "environment": "production",
        "usageDetails": {"input": 100, "output": "40", "total": 140},
        "costDetails": {"input": 0.001, "output": 0.002, "total": 0.003},
        "latency": 2.0,
        "timeToFirstToken": 0.4,
    }
    row.update(extra)
    return row


def score(
    ident: str,
    t: float,
    name: str = "helpfulness",
    value: Any = 0.5,
    data_type: str = "NUMERIC",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "value": value,
        "dataType": data_type,
        "source": "EVAL",
        "timestamp": iso(t),
        **extra,
    }


def _parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class FakeLangfuse:
    """Thread-safe scripted Langfuse; start with ``serve()`` (a context manager yielding the base URL)."""

    def __init__(self, api: str = "v4") -> None:
        self.api = api
        self.now = NOW
        self.observations: list[dict[str, Any]] = []
        self.scores: list[dict[str, Any]] = []
        self.hidden: list[dict[str, Any]] = []
        self.failures: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.headers: dict[str, str] = {}
        self.log: list[str] = []
        self.healthy = True
        self.lock = threading.Lock()

    def fail(
        self, path: str, status: int, body: bytes = b'{"message":"x"}', headers: dict[str, str] | None = None
    ) -> None:
        """The next request to ``path`` gets this answer instead."""
        with self.lock:
            self.failures.setdefault(path, []).append((status, headers or {}, body))

    def calls(self, path: str) -> int:
        with self.lock:
            return sum(1 for entry in self.log if entry == path)

    # -- answers ---------------------------------------------------------------------------------
    def answer(self, path: str, query: dict[str, str], auth: str | None) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.log.append(path)
            if self.failures.get(path):
                return self.failures[path].pop(0)
            if path == "/api/public/health":
                body = {
                    "status": "OK" if self.healthy else "Health check failed",
                    "version": VERSIONS[self.api],
                }
                return (200 if self.healthy else 503), {}, json.dumps(body).encode()
            expected = "Basic " + base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
            if auth != expected:
                return (
                    401,
                    {},
                    b'{"message":"Invalid credentials. Confirm that you\'ve configured the correct host."}',
                )
            if path not in SURFACE_PATHS[self.api]:
                return 404, {}, b'{"message":"not found","error":"LangfuseNotFoundError"}'
            if path.endswith("metrics"):
                return 200, dict(self.headers), json.dumps(self._metrics(json.loads(query["query"]))).encode()
            return 200, dict(self.headers), json.dumps(self._list(path, query)).encode()

    def _list(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        is_observations = "observations" in path
        rows, field = (self.observations, "startTime") if is_observations else (self.scores, "timestamp")
        start = _parse_time(query["fromStartTime" if is_observations else "fromTimestamp"])
        end = _parse_time(query["toStartTime" if is_observations else "toTimestamp"])
        chosen = sorted(
            (r for r in rows if isinstance(r.get(field), str) and start <= _parse_time(r[field]) < end),
            key=lambda r: r[field],
            reverse=True,
        )
        chosen += [r for r in rows if not isinstance(r.get(field), str)]  # rows too broken to filter
        limit = int(query["limit"])
        if path in ("/api/public/v2/observations", "/api/public/v3/scores"):
            offset = int(base64.b64decode(query["cursor"])) if "cursor" in query else 0
            page = chosen[offset : offset + limit]
            meta: dict[str, Any] = {"limit": limit}
            if offset + limit < len(chosen):
                meta["cursor"] = base64.b64encode(str(offset + limit).encode()).decode()
            return {"data": page, "meta": meta}
        number = int(query.get("page", 1))
        pages = max(1, -(-len(chosen) // limit))
        data = chosen[(number - 1) * limit : number * limit]
        return {
            "data": data,
            "meta": {"page": number, "limit": limit, "totalItems": len(chosen), "totalPages": pages},
        }

    def _metrics(self, spec: dict[str, Any]) -> dict[str, Any]:
        start, end = _parse_time(spec["fromTimestamp"]), _parse_time(spec["toTimestamp"])
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in [*self.observations, *self.hidden]:
            if not start <= _parse_time(row["startTime"]) < end:
                continue
            key = (row.get("environment"), row.get("type"), row.get("level"), row.get("model"))
            group = groups.setdefault(key, {"count": 0, "input": 0, "output": 0, "cost": 0.0})
            usage = row.get("usageDetails") or {}
            group["count"] += 1
            group["input"] += int(usage.get("input") or 0)
            group["output"] += int(usage.get("output") or 0)
            group["cost"] += float((row.get("costDetails") or {}).get("total") or 0)
        return {
            "data": [
                {
                    "environment": env,
                    "type": kind,
                    "level": level,
                    "providedModelName": model,
                    "count_count": str(g["count"]),
                    "sum_inputTokens": str(g["input"]),
                    "sum_outputTokens": str(g["output"]),
                    "sum_totalCost": g["cost"],
                }
                for (env, kind, level, model), g in groups.items()
            ]
        }

    @contextmanager
    def serve(self) -> Iterator[str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                status, headers, body = fake.answer(parts.path, query, self.headers.get("Authorization"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def date_time_string(self, timestamp: float | None = None) -> str:
                return formatdate(fake.now, usegmt=True)

            def log_message(self, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
