"""The vLLM twin's HTTP side: one listening socket per engine, vLLM's routes and its error shapes.

Routes per engine: GET /health and /ping (200 up, 503 while loading; the port is closed while the
container is down), /version, /v1/models, /load, /metrics; POST /v1/completions and
/v1/chat/completions, streamed as Server-Sent Events when ``"stream": true``. A completion's time to
first token and its inter-token gaps are drawn from the scenario's current log-normal latencies and
kept as absolute deadlines from the request's arrival, so a client timing the stream sees at least the
latencies the server books into its histograms, and the two agree to within scheduling delay.
Errors use vLLM's OpenAI error object ``{"object": "error", "message", "type", "param", "code"}``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from mock.twins.vllm.exposition import CONTENT_TYPE, View, render
from mock.twins.vllm.live import LiveBook
from mock.twins.vllm.state import FleetClock, FleetSnapshot
from mock.twins.vllm.traffic import lognormal
from mock.twins.vllm.world import Engine

log = logging.getLogger("llmon.mock.twin.vllm")
SUPERVISE_S = 0.2
DEFAULT_MAX_TOKENS = 16
MAX_BODY_BYTES = 1 << 20
WORDS = (
    " the",
    " model",
    " serves",
    " tokens",
    " quickly",
    " and",
    " every",
    " answer",
    " arrives",
    " on",
    " time",
)


class ApiError(Exception):
    """An error answered in vLLM's OpenAI error shape."""

    def __init__(self, status: int, message: str, kind: str) -> None:
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind

    def body(self) -> dict[str, Any]:
        return {
            "object": "error",
            "message": self.message,
            "type": self.kind,
            "param": None,
            "code": self.status,
        }


@dataclass(frozen=True)
class Plan:
    """One completion: when each token is due (seconds after arrival) and what it books."""

    ttft: float
    gaps: tuple[float, ...]
    prompt_tokens: int
    max_tokens: int

    @property
    def tokens(self) -> int:
        return len(self.gaps) + 1

    @property
    def due(self) -> list[float]:
        out, at = [self.ttft], self.ttft
        for gap in self.gaps:
            at += gap
            out.append(at)
        return out


class EngineApi:
    """One engine's routes over the shared fleet clock."""

    def __init__(self, engine: Engine, clock: FleetClock, live: LiveBook) -> None:
        self.engine = engine
        self.clock = clock
        self.live = live
        self._sequence = 0
        self._lock = threading.Lock()

    def view(self, snap: FleetSnapshot | None = None) -> View:
        snap = snap or self.clock.snapshot()
        status = snap.statuses[self.engine.deployment]
        self.live.begin_life(status.started_tau)
        return View(self.engine, status, snap.timelines[self.engine.deployment], self.live, snap)

    def health(self) -> int:
        return 200 if self.view().status.phase == "up" else 503

    def models(self) -> dict[str, Any]:
        created = int(time.time())
        return {
            "object": "list",
            "data": [
                {
                    "id": model.model_name, "object": "model", "created": created, "owned_by": "vllm",
                    "root": model.root, "parent": model.parent, "max_model_len": model.max_model_len,
                    "permission": [
                        {
                            "id": f"modelperm-{uuid.uuid4().hex}", "object": "model_permission",
                            "created": created,
                            "allow_create_engine": False, "allow_sampling": True, "allow_logprobs": True,
                            "allow_search_indices": False, "allow_view": True, "allow_fine_tuning": False,
                            "organization": "*", "group": None, "is_blocking": False,
                        }
                    ],
                }
                for model in self.engine.models
            ],
        }  # fmt: skip

    def plan(self, request: dict[str, Any], chat: bool) -> Plan:
        """Validate a completion request and draw its latencies; ApiError for what vLLM rejects."""
        view = self.view()
        if view.status.phase != "up":
            raise ApiError(503, "The engine is starting up; try again shortly.", "ServiceUnavailableError")
        served = [m.model_name for m in self.engine.models]
        model = request.get("model")
        if model not in served:
            raise ApiError(404, f"The model `{model}` does not exist.", "NotFoundError")
        prompt = request.get("messages") if chat else request.get("prompt")
        if not prompt:
            raise ApiError(400, "messages is required" if chat else "prompt is required", "BadRequestError")
        given = [
            request.get(key)
            for key in ("max_completion_tokens", "max_tokens")
            if request.get(key) is not None
        ]
        max_tokens = given[0] if given else DEFAULT_MAX_TOKENS
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise ApiError(400, f"max_tokens must be at least 1, got {max_tokens!r}.", "BadRequestError")
        prompt_tokens = max(1, len(json.dumps(prompt)) // 4)
        if prompt_tokens + max_tokens > self.engine.max_model_len:
            raise ApiError(
                400,
                f"This model's maximum context length is {self.engine.max_model_len} tokens. "
                f"However, you requested "
                f"{prompt_tokens + max_tokens} tokens ({prompt_tokens} in the messages, {max_tokens} in the "
                "completion). Please reduce the length of the messages or completion.",
                "BadRequestError",
            )
        load = view.timeline.load_at(view.snapshot.tau)
        with self._lock:
            self._sequence += 1
            sequence = self._sequence
        rng = np.random.default_rng([zlib.crc32(self.engine.deployment.encode()), sequence])
        if rng.random() < load.error_ratio:
            raise ApiError(
                500,
                "EngineCore encountered an issue. See stack trace for the root cause.",
                "InternalServerError",
            )
        ttft_mu, ttft_sigma = lognormal(load.ttft_median, load.ttft_p95)
        itl_mu, itl_sigma = lognormal(load.itl_median, load.itl_p95)
        gaps = rng.lognormal(itl_mu, itl_sigma, max_tokens - 1) if max_tokens > 1 else []
        return Plan(
            float(rng.lognormal(ttft_mu, ttft_sigma)),
            tuple(float(g) for g in gaps),
            prompt_tokens,
            max_tokens,
        )

    def book(self, plan: Plan, handler: str) -> None:
        """What vLLM records when the request finishes (it always runs to max_tokens: reason "length")."""
        decode = sum(plan.gaps)
        self.live.book(
            {
                "requests": 1, "length": 1, "prompt_tokens": plan.prompt_tokens,
                "generation_tokens": plan.tokens,
                "prefix_queries": plan.prompt_tokens,
            },
            {
                "ttft": [plan.ttft], "itl": list(plan.gaps), "e2e": [plan.ttft + decode], "queue": [0.0],
                "prefill": [plan.ttft], "decode": [decode], "inference": [plan.ttft + decode],
                "prompt_tokens": [plan.prompt_tokens], "generation_tokens": [plan.tokens],
                "max_tokens": [plan.max_tokens], "n": [1.0], "http_completions": [plan.ttft + decode],
            },
        )  # fmt: skip
        self.live.book_http("POST", handler, ok=True)

    def book_failure(self, handler: str) -> None:
        self.live.book({"requests": 1, "errors": 1}, {})
        self.live.book_http("POST", handler, ok=False)


def _chunks(plan: Plan, model: str, chat: bool) -> Iterator[tuple[float, dict[str, Any]]]:
    """(seconds after arrival, SSE payload) of every token chunk, as vLLM streams them."""
    ident = f"chatcmpl-{uuid.uuid4().hex}" if chat else f"cmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    for index, due in enumerate(plan.due):
        last = index == plan.tokens - 1
        word = WORDS[index % len(WORDS)]
        finish = "length" if last else None
        if chat:
            delta = {"role": "assistant", "content": word} if index == 0 else {"content": word}
            choice = {
                "index": 0,
                "delta": delta,
                "logprobs": None,
                "finish_reason": finish,
                "stop_reason": None,
            }
            obj = "chat.completion.chunk"
        else:
            choice = {
                "index": 0,
                "text": word,
                "logprobs": None,
                "finish_reason": finish,
                "stop_reason": None,
            }
            obj = "text_completion"
        yield due, {"id": ident, "object": obj, "created": created, "model": model, "choices": [choice]}


def _full_response(plan: Plan, model: str, chat: bool) -> dict[str, Any]:
    text = "".join(WORDS[i % len(WORDS)] for i in range(plan.tokens))
    usage = {
        "prompt_tokens": plan.prompt_tokens,
        "total_tokens": plan.prompt_tokens + plan.tokens,
        "completion_tokens": plan.tokens,
        "prompt_tokens_details": None,
    }
    if chat:
        message = {
            "role": "assistant",
            "content": text,
            "refusal": None,
            "tool_calls": [],
            "reasoning_content": None,
        }
        choice: dict[str, Any] = {"index": 0, "message": message, "logprobs": None, "finish_reason": "length"}
        ident, obj = f"chatcmpl-{uuid.uuid4().hex}", "chat.completion"
        return {"id": ident, "object": obj, "created": int(time.time()), "model": model, "choices": [choice],
                "usage": usage}  # fmt: skip
    choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": "length", "stop_reason": None}
    return {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": int(time.time()),
            "model": model, "choices": [choice], "usage": usage}  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    server: _EngineHttpServer
    protocol_version = "HTTP/1.1"
    server_version = "uvicorn"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request lines would flood the demo's log."""

    def do_GET(self) -> None:
        api = self.server.api
        path = urlsplit(self.path).path
        routes: dict[str, Callable[[], None]] = {
            "/health": lambda: self._send(api.health(), b"", "application/json"),
            "/ping": lambda: self._send(api.health(), b"", "application/json"),
            "/version": lambda: self._json(200, {"version": api.engine.version}),
            "/v1/models": lambda: self._models(api),
            "/load": lambda: self._json(200, {"server_load": api.live.in_flight}),
            "/metrics": lambda: self._send(200, render(api.view()), CONTENT_TYPE),
        }
        route = routes.get(path)
        if route is None:
            self._json(404, {"detail": "Not Found"})
        else:
            route()

    def do_POST(self) -> None:
        api = self.server.api
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, MAX_BODY_BYTES)) if length else b""
        if path not in ("/v1/completions", "/v1/chat/completions"):
            self._json(404 if path != "/health" else 405, {"detail": "Not Found"})
            return
        arrival = time.monotonic()
        chat = path == "/v1/chat/completions"
        try:
            request = json.loads(raw or b"null")
            if not isinstance(request, dict):
                raise ApiError(400, "the request body must be a JSON object", "BadRequestError")
            plan = api.plan(request, chat)
        except json.JSONDecodeError:
            self._json(400, ApiError(400, "the request body is not valid JSON", "BadRequestError").body())
            return
        except ApiError as error:
            if error.status >= 500:
                api.book_failure(path)
            self._json(error.status, error.body())
            return
        api.live.in_flight += 1
        try:
            if request.get("stream"):
                self._stream(plan, str(request["model"]), chat, arrival)
            else:
                _sleep_until(arrival + plan.due[-1])
                self._json(200, _full_response(plan, str(request["model"]), chat))
        finally:
            api.live.in_flight -= 1
        api.book(plan, path)

    def _models(self, api: EngineApi) -> None:
        api.live.book_http("GET", "/v1/models", ok=True)
        self._json(200, api.models())

    def _stream(self, plan: Plan, model: str, chat: bool, arrival: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            for due, payload in _chunks(plan, model, chat):
                _sleep_until(arrival + due)
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except OSError:
            log.debug("client went away mid-stream")

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


class _EngineHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    api: EngineApi


class _Listener:
    """One engine's socket: opened while the engine's container runs, closed while it is down."""

    def __init__(self, api: EngineApi, host: str, port: int) -> None:
        self.api = api
        self.host = host
        self.port = port
        self._httpd: _EngineHttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def open(self) -> bool:
        return self._httpd is not None

    def start(self) -> None:
        httpd = _EngineHttpServer((self.host, self.port), _Handler)
        httpd.api = self.api
        self.port = int(httpd.server_address[1])
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.1,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None


class VllmTwin:
    """Every engine of the twin; ``start()`` binds them all (port 0: a free port each)."""

    def __init__(self, clock: FleetClock, engines: list[Engine], addresses: list[tuple[str, int]]) -> None:
        if len(addresses) != len(engines):
            raise ValueError("one address per engine")
        self.clock = clock
        self.engines = engines
        self.listeners = [
            _Listener(EngineApi(engine, clock, LiveBook()), host, port)
            for engine, (host, port) in zip(engines, addresses, strict=True)
        ]
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None

    def start(self) -> VllmTwin:
        started = []
        try:
            for listener in self.listeners:
                listener.start()
                started.append(listener)
        except OSError:
            for listener in started:
                listener.stop()
            raise
        self.supervise()
        self._supervisor = threading.Thread(target=self._run, daemon=True)
        self._supervisor.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(SUPERVISE_S):
            try:
                self.supervise()
            except Exception:
                log.exception("vllm twin tick failed")

    def supervise(self) -> None:
        """Close the port of every engine whose container is down, reopen it when it runs again."""
        snap = self.clock.snapshot()
        for listener in self.listeners:
            down = snap.statuses[listener.api.engine.deployment].phase == "down"
            if down and listener.open:
                listener.stop()
            elif not down and not listener.open and not self._stop.is_set():
                try:
                    listener.start()
                except OSError as exc:
                    log.warning("cannot reopen %s:%s (%s)", listener.host, listener.port, exc.strerror)

    def targets(self) -> list[dict[str, Any]]:
        """Prometheus file_sd groups: one per engine, labelled with its deployment."""
        return [
            {
                "targets": [f"{listener.host}:{listener.port}"],
                "labels": {"deployment": listener.api.engine.deployment},
            }
            for listener in self.listeners
        ]

    def url(self, deployment: str) -> str:
        listener = next(item for item in self.listeners if item.api.engine.deployment == deployment)
        return f"http://{listener.host}:{listener.port}"

    def write_targets(self, path: Path) -> None:
        """Write the file_sd JSON atomically (temporary file, then rename), as Prometheus expects."""
        partial = path.with_name(f".{path.name}.tmp")
        partial.write_text(json.dumps(self.targets(), indent=2) + "\n", encoding="utf-8")
        partial.replace(path)

    def stop(self) -> None:
        self._stop.set()
        if self._supervisor is not None:
            self._supervisor.join()
            self._supervisor = None
        for listener in self.listeners:
            listener.stop()

    def __enter__(self) -> VllmTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
