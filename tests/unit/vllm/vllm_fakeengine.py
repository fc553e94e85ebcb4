"""Recorded vLLM pages served over real HTTP, one port per engine, for the exporter's tests.

Each FakeEngine answers /metrics with a fixture page (or misbehaves on purpose: HTML, a page cut
mid-line, a connection dropped before the body ends, a slow answer), /health with its status,
/version and /v1/models in vLLM's shapes. Attributes can be changed between polls to play a restart.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "vllm"
V1_PAGE = (FIXTURES / "v1-0.11.0.txt").read_bytes()
V0_PAGE = (FIXTURES / "v0-0.6.3.txt").read_bytes()
MODEL = "Qwen/Qwen2.5-7B-Instruct"


class FakeEngine:
    """One engine on a free port; ``mode`` is ok|html|cut|drop|slow|status500."""

    def __init__(self, page: bytes = V1_PAGE, version: str = "0.11.0", model: str = MODEL) -> None:
        self.page = page
        self.version = version
        self.model = model
        self.health = 200
        self.mode = "ok"
        self.delay = 0.0
        engine = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                engine.answer(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        if self.mode == "slow":
            time.sleep(self.delay)
        if handler.path == "/metrics":
            self._metrics(handler)
        elif handler.path == "/health":
            self._send(handler, self.health, b"", "application/json")
        elif handler.path == "/version":
            self._send(handler, 200, json.dumps({"version": self.version}).encode(), "application/json")
        elif handler.path == "/v1/models":
            models = {"object": "list", "data": [
                {"id": self.model, "object": "model", "created": 1760000000, "owned_by": "vllm",
                 "root": self.model, "parent": None, "max_model_len": 32768, "permission": []},
                {"id": "sql-lora", "object": "model", "created": 1760000000, "owned_by": "vllm",
                 "root": "/adapters/sql-lora", "parent": self.model, "max_model_len": None, "permission": []},
            ]}  # fmt: skip
            self._send(handler, 200, json.dumps(models).encode(), "application/json")
        else:
            self._send(handler, 404, b'{"detail":"Not Found"}', "application/json")

    def _metrics(self, handler: BaseHTTPRequestHandler) -> None:
        text = "text/plain; version=0.0.4; charset=utf-8"
        if self.mode == "html":
            self._send(handler, 200, b"<!DOCTYPE html><html><body>Bad gateway</body></html>", "text/html")
        elif self.mode == "cut":
            self._send(handler, 200, self.page[: len(self.page) // 2].rstrip(b"\n"), text)
        elif self.mode == "status500":
            self._send(handler, 500, b"Internal Server Error", "text/plain")
        elif self.mode == "drop":
            handler.send_response(200)
            handler.send_header("Content-Type", text)
            handler.send_header("Content-Length", str(len(self.page)))
            handler.end_headers()
            handler.wfile.write(self.page[:100])
            handler.wfile.flush()
            handler.close_connection = True
        else:
            self._send(handler, 200, self.page, text)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
