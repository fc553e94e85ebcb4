"""The Docker twin's HTTP server: the Engine API routes the `docker` SDK calls, over plain TCP.

Routes (each also under a version prefix such as /v1.51/, as the SDK sends them):
``/_ping`` (GET, HEAD), ``/version``, ``/info``, ``/containers/json`` (``all``, ``limit``, ``filters``),
``/containers/{id}/json``, ``/containers/{id}/stats`` (``stream``, ``one-shot``), ``/events`` (``since``,
``until``, ``filters``; newline-delimited JSON, chunked). Errors use the daemon's body
``{"message": "..."}`` with its status codes (404 "No such container: x", 400 for a bad version or
filter).

Like the daemon, ``stats?stream=false`` without one-shot answers only after ``stats_latency`` seconds
(the daemon waits for two collector ticks to fill precpu_stats; 1 s by default), ``one-shot=true``
(API >= 1.41) answers at once with empty precpu_stats. ``Faults`` lets tests make the twin misbehave:
stats that never return, malformed stats bodies, containers removed between list and stats, event
streams that stall or break.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from mock.engine_containers import ContainerState
from mock.errors import MockError
from mock.twins.docker import payloads
from mock.twins.docker.events import EventLog, changes
from mock.twins.docker.world import Snapshot, World

log = logging.getLogger("llmon.mock.twin.docker")

_VERSIONED = re.compile(r"^/v(\d+)\.(\d+)(/.*)$")
_CONTAINER_ROUTE = re.compile(r"^/containers/([^/]+)/(json|stats)$")
ONE_SHOT_SINCE = (1, 41)
SNAPSHOT_REUSE_S = 0.1  # concurrent requests within this window share one engine evaluation
STREAM_INTERVAL_S = 1.0  # the daemon's stats collector interval


@dataclass
class Faults:
    """Misbehaviour injected by tests; every field may be changed while the twin runs."""

    hang_stats: set[str] = field(default_factory=set)  # container names whose stats never answer
    malformed_stats: dict[str, bytes] = field(default_factory=dict)  # name -> raw body served as stats
    vanished: set[str] = field(default_factory=set)  # listed, but removed by the time of inspect/stats
    events_stall: bool = False  # event streams send headers, then nothing


def _version_tuple(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def bool_value(query: dict[str, list[str]], key: str) -> bool:
    """The daemon's httputils.BoolValue: anything but "", 0, no, false, none is true."""
    value = (query.get(key) or [""])[0].strip().lower()
    return value not in ("", "0", "no", "false", "none")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_filters(query: dict[str, list[str]]) -> dict[str, list[str]]:
    """The ``filters`` argument: {"key": ["v", ...]} or the legacy {"key": {"v": true}} form."""
    raw = (query.get("filters") or [""])[0]
    if not raw:
        return {}
    try:
        decoded = json.loads(raw)
    except json.JSONDecodeError:
        raise ApiError(400, f"invalid filter '{raw}'") from None
    if not isinstance(decoded, dict):
        raise ApiError(400, f"invalid filter '{raw}'")
    out: dict[str, list[str]] = {}
    for key, values in decoded.items():
        if isinstance(values, dict):
            out[key] = [v for v, on in values.items() if on]
        elif isinstance(values, list):
            out[key] = [str(v) for v in values]
        else:
            raise ApiError(400, f"invalid filter '{raw}'")
    return out


def _label_matches(labels: dict[str, str], wanted: list[str]) -> bool:
    for item in wanted:
        key, sep, value = item.partition("=")
        if key not in labels or (sep and labels[key] != value):
            return False
    return True


def _all_hold(checks: dict[str, Callable[[list[str]], bool]], filters: dict[str, list[str]]) -> bool:
    """Docker's filter semantics: every filter given must hold; one the endpoint lacks is a 400."""
    for key, values in filters.items():
        check = checks.get(key)
        if check is None:
            raise ApiError(400, f"invalid filter '{key}'")
        if values and not check(values):
            return False
    return True


def _container_matches(state: ContainerState, filters: dict[str, list[str]]) -> bool:
    seed = state.seed
    checks = {
        "status": lambda v: state.status in v,
        "name": lambda v: any(re.search(p, seed.name) for p in v),
        "id": lambda v: any(seed.container_id.startswith(p) for p in v),
        "label": lambda v: _label_matches(seed.labels, v),
        "health": lambda v: (state.health or "none") in v,
    }
    return _all_hold(checks, filters)


EVENT_FILTERS = ("type", "event", "container", "label")


def _event_matches(event: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    attributes = event["Actor"]["Attributes"]
    checks = {
        "type": lambda v: event["Type"] in v,
        "event": lambda v: event["Action"] in v or event["Action"].split(":")[0] in v,
        "container": lambda v: event["Actor"]["ID"] in v or attributes.get("name") in v,
        "label": lambda v: _label_matches(attributes, v),
    }
    return _all_hold(checks, filters)


def _timestamp(query: dict[str, list[str]], key: str) -> float | None:
    raw = (query.get(key) or [""])[0]
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ApiError(400, f"failed to parse value {raw!r} as a timestamp") from None


class DockerTwin:
    """Serves one World over the Engine API; ``start()`` binds (port 0 picks one), ``stop()`` ends it."""

    def __init__(
        self,
        world: World,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        stats_latency: float = 1.0,
        cgroup: str = "v2",
        api_version: str = payloads.API_VERSION,
        tick: float = 0.25,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock`` is the wall clock of every timestamp served (a fixed one makes golden outputs)."""
        if cgroup not in ("v1", "v2"):
            raise MockError(f"--cgroup must be v1 or v2, got {cgroup!r}")
        if stats_latency < 0:
            raise MockError(f"--stats-latency must not be negative, got {stats_latency:g}")
        self.world = world
        self.stats_latency = stats_latency
        self.cgroup = cgroup
        self.api_version = api_version
        self.faults = Faults()
        self.events = EventLog()
        self.stopping = threading.Event()
        self._tick = tick
        self._clock = clock
        self._address = (host, port)
        self._snapshot_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._httpd: _Server | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> DockerTwin:
        self._snapshot = self.world.snapshot(self._clock())  # fails fast on an unusable database
        try:
            self._httpd = _Server(self._address, self)
        except OSError as exc:
            raise MockError(
                f"cannot listen on {self._address[0]}:{self._address[1]} ({exc.strerror})"
            ) from None
        for target, name in ((self._httpd.serve_forever, "docker-http"), (self._record, "docker-events")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info(
            "docker twin listening", extra={"address": self.address, "containers": len(self.world.seeds)}
        )
        return self

    def stop(self) -> None:
        """Stop serving: open streams end, hanging stats calls return; idempotent."""
        self.stopping.set()
        self.events.close()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_connections()
            self._httpd.server_close()
            self._httpd = None
        for thread in self._threads:
            thread.join(5.0)
        self._threads = []

    def __enter__(self) -> DockerTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the twin is not started")
        host, port = self._httpd.server_address[:2]
        return f"{host}:{port}"

    @property
    def base_url(self) -> str:
        """What DOCKER_HOST (or docker.DockerClient(base_url=...)) should be set to."""
        return f"tcp://{self.address}"

    def break_event_streams(self) -> None:
        """Cut every open /events connection, as a daemon restart or a proxy timeout would."""
        if self._httpd is not None:
            self._httpd.close_connections(only_streams=True)

    # --- state -------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        now = self._clock()
        with self._snapshot_lock:
            if self._snapshot is None or now - self._snapshot.now > SNAPSHOT_REUSE_S:
                self._snapshot = self.world.snapshot(now)
            return self._snapshot

    def _record(self) -> None:
        """Publish the events between consecutive snapshots until stopped."""
        previous: Snapshot | None = None
        failure: str | None = None
        while not self.stopping.wait(self._tick):
            try:
                current = self.world.snapshot(self._clock())
            except MockError as exc:
                if str(exc) != failure:
                    log.error("cannot compute the containers' state; retrying", extra={"error": str(exc)})
                    failure = str(exc)
                continue
            failure = None
            if previous is not None and current.tau >= previous.tau:
                self.events.extend(changes(previous, current))
            previous = current


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], twin: DockerTwin) -> None:
        self.twin = twin
        self._connections: dict[socket.socket, bool] = {}  # socket -> is an event stream
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, sock: socket.socket, stream: bool | None = None) -> None:
        with self._lock:
            if stream is None:
                self._connections.pop(sock, None)
            else:
                self._connections[sock] = stream

    def close_connections(self, only_streams: bool = False) -> None:
        with self._lock:
            targets = [s for s, is_stream in self._connections.items() if is_stream or not only_streams]
        for sock in targets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = f"Docker/{payloads.ENGINE_VERSION}"
    sys_version = "(linux)"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("request", extra={"line": format % args})

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, stream=False)

    def finish(self) -> None:
        self.server.track(self.connection, stream=None)
        with contextlib.suppress(OSError):
            super().finish()

    @property
    def twin(self) -> DockerTwin:
        return self.server.twin

    # --- responses -------------------------------------------------------------------------------------

    def _headers(self, status: int, content_type: str, length: int | None, close: bool = False) -> None:
        """Status and headers; ``close`` announces that the connection ends with this response, so a
        client does not put it back in its keep-alive pool and lose its next request on it."""
        self.send_response(status)
        if close:
            self.send_header("Connection", "close")  # also sets self.close_connection
        self.send_header("Api-Version", self.twin.api_version)
        self.send_header("Docker-Experimental", "false")
        self.send_header("Ostype", "linux")
        self.send_header("Content-Type", content_type)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send_bytes(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self._headers(status, content_type, len(body))
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, document: Any) -> None:
        self._send_bytes(status, (json.dumps(document) + "\n").encode())

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    # --- routing -------------------------------------------------------------------------------------

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            path = self._unversioned(unquote(parts.path))
            self._route(path, query)
        except ApiError as exc:
            self._send_json(exc.status, {"message": exc.message})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except MockError as exc:
            self._send_json(500, {"message": str(exc)})

    def _unversioned(self, path: str) -> str:
        match = _VERSIONED.match(path)
        if match is None:
            return path
        asked = (int(match.group(1)), int(match.group(2)))
        newest = _version_tuple(self.twin.api_version)
        oldest = _version_tuple(payloads.MIN_API_VERSION)
        wanted = f"{asked[0]}.{asked[1]}"
        if asked > newest:
            raise ApiError(
                400,
                f"client version {wanted} is too new. "
                f"Maximum supported API version is {self.twin.api_version}",
            )
        if asked < oldest:
            raise ApiError(
                400,
                f"client version {wanted} is too old. Minimum supported API version is "
                f"{payloads.MIN_API_VERSION}, please upgrade your client to a newer version",
            )
        self._api = asked
        return match.group(3)

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        if not hasattr(self, "_api"):
            self._api = _version_tuple(self.twin.api_version)
        if path == "/_ping":
            self._send_bytes(200, b"OK", "text/plain; charset=utf-8")
        elif path == "/version":
            self._send_json(200, payloads.version(self.twin.world.host, self.twin.api_version))
        elif path == "/info":
            self._send_json(200, payloads.info(self.twin.snapshot(), self.twin.world.host, self.twin.cgroup))
        elif path == "/containers/json":
            self._list(query)
        elif path == "/events":
            self._events(query)
        elif (match := _CONTAINER_ROUTE.match(path)) is not None:
            ref, what = match.groups()
            snap = self.twin.snapshot()
            state = snap.find(ref)
            if state is None or state.seed.name in self.twin.faults.vanished:
                raise ApiError(404, f"No such container: {ref}")
            if what == "json":
                self._send_json(200, payloads.inspect(state, snap))
            else:
                self._stats(state, query)
        else:
            raise ApiError(404, "page not found")

    def _list(self, query: dict[str, list[str]]) -> None:
        snap = self.twin.snapshot()
        filters = parse_filters(query)
        include_all = bool_value(query, "all")
        listed = [
            payloads.summary(state, snap)
            for state in snap.containers
            if (include_all or state.status in ("running", "restarting"))
            and _container_matches(state, filters)
        ]
        listed.sort(key=lambda item: item["Created"], reverse=True)  # newest first, as the daemon
        limit = int((query.get("limit") or ["-1"])[0] or -1)
        self._send_json(200, listed[:limit] if limit > 0 else listed)

    def _stats(self, state: ContainerState, query: dict[str, list[str]]) -> None:
        faults, name = self.twin.faults, state.seed.name
        stream = query.get("stream") is None or bool_value(query, "stream")
        one_shot = self._api >= ONE_SHOT_SINCE and bool_value(query, "one-shot")
        if name in faults.hang_stats:
            self.twin.stopping.wait()
            self.close_connection = True
            return
        if name in faults.malformed_stats:
            self._send_bytes(200, faults.malformed_stats[name])
            return
        host, cgroup = self.twin.world.host, self.twin.cgroup
        if not stream:
            previous = None
            if not one_shot:
                first = self.twin.snapshot()
                if self.twin.stopping.wait(self.twin.stats_latency):
                    return
                previous = (first.find(state.seed.container_id) or state, first)
            snap = self.twin.snapshot()
            current = snap.find(state.seed.container_id) or state
            self._send_json(200, payloads.stats(current, snap, host, cgroup, previous))
            return
        self._headers(200, "application/json", None)
        previous_sample: tuple[ContainerState, Snapshot] | None = None
        while not self.twin.stopping.is_set():
            snap = self.twin.snapshot()
            current = snap.find(state.seed.container_id) or state
            self._chunk(
                (json.dumps(payloads.stats(current, snap, host, cgroup, previous_sample)) + "\n").encode()
            )
            previous_sample = (current, snap)
            if self.twin.stopping.wait(STREAM_INTERVAL_S):
                break
        self._chunk(b"")

    def _peer_closed(self) -> bool:
        """Whether the client hung up (readable with nothing to read), so a quiet stream can end."""
        ready, _, _ = select.select([self.connection], [], [], 0)
        if not ready:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _events(self, query: dict[str, list[str]]) -> None:
        filters = parse_filters(query)
        unknown = sorted(set(filters) - set(EVENT_FILTERS))
        if unknown:
            raise ApiError(400, f"invalid filter '{unknown[0]}'")
        since, until = _timestamp(query, "since"), _timestamp(query, "until")
        self.server.track(self.connection, stream=True)
        # An event stream ends only when the client or the twin cuts it, so its connection is never reused.
        self._headers(200, "application/json", None, close=True)
        if self.twin.faults.events_stall:
            self.twin.stopping.wait()
            return
        for event in self.twin.events.follow(since, until):
            if self.twin.faults.events_stall:
                self.twin.stopping.wait()
                return
            if event is None:
                if self._peer_closed():
                    return
                continue
            if _event_matches(event, filters):
                self._chunk((json.dumps(event) + "\n").encode())
        self._chunk(b"")
