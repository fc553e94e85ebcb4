"""A local stand-in for the Hugging Face Hub API, so the online lookup is tested without the network.

It answers the two calls the exporter makes, in the Hub's shapes: ``GET /api/models/<repo>`` (model
info with config, safetensors and cardData) and ``/<repo>/resolve/<revision>/config.json`` (HEAD and
GET, with the X-Repo-Commit and ETag headers huggingface_hub needs to place the file in its cache).
Unknown repos answer 404 with X-Error-Code RepoNotFound, as the Hub does.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    """Serves ``models`` (repo id -> {"config": dict, "parameters": {dtype: n}, "license": str})."""

    def __init__(self, models: dict[str, dict[str, Any]]) -> None:
        self.models = models
        self.requests: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_HEAD(self) -> None:
                hub.answer(self, head=True)

            def do_GET(self) -> None:
                hub.answer(self, head=False)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, handler: BaseHTTPRequestHandler, head: bool) -> None:
        path = handler.path.split("?")[0]
        self.requests.append(f"{handler.command} {path}")
        if path.startswith("/api/models/"):
            repo = path.removeprefix("/api/models/").removesuffix("/revision/main")
            body = self._info(repo)
        elif "/resolve/" in path:
            repo, _, rest = path.lstrip("/").partition("/resolve/")
            model = self.models.get(repo)
            body = json.dumps(model["config"]).encode() if model and rest.endswith("config.json") else None
        else:
            body = None
        if body is None:
            handler.send_response(404)
            handler.send_header("X-Error-Code", "RepoNotFound")
            handler.send_header("X-Error-Message", "Repository not found")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("X-Repo-Commit", COMMIT)
        handler.send_header("ETag", '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        handler.end_headers()
        if not head:
            handler.wfile.write(body)

    def _info(self, repo: str) -> bytes | None:
        model = self.models.get(repo)
        if model is None:
            return None
        config = model["config"]
        summary = {
            k: config[k] for k in ("architectures", "model_type", "quantization_config") if k in config
        }
        parameters = model["parameters"]
        info = {
            "_id": "0" * 24,
            "id": repo,
            "sha": COMMIT,
            "config": summary,
            "safetensors": {"parameters": parameters, "total": sum(parameters.values())},
            "cardData": {"license": model["license"]},
        }
        return json.dumps(info).encode()
