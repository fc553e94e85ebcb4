"""The HTTP side: /metrics, /healthz, /readyz and the landing page, behind optional TLS and basic auth."""

from __future__ import annotations

import contextlib
import gzip
import logging
import socket
import socketserver
import ssl
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import gzip_accepted

from .exposition import choose_encoder
from .webconfig import BasicAuth

log = logging.getLogger(__name__)
_TEXT = "text/plain; charset=utf-8"
#: zlib's fastest level. A scrape body compresses about 6x at level 1 and barely better at the levels
#: above (under 10% smaller at 6, Go's default), while level 6 costs three times the CPU and Python's
#: default 9 four times: on an exporter scraped every few seconds the CPU matters more than a few
#: hundred bytes on the wire.
GZIP_LEVEL = 1


@dataclass(frozen=True)
class Site:
    """Everything the handler serves, shared by all request threads of one server."""

    program: str
    registry: CollectorRegistry
    landing_page: bytes
    pending_sources: Callable[[], Sequence[str]]
    auth: BasicAuth | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = _TEXT
    headers: Mapping[str, str] = field(default_factory=dict)


class SiteServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer carrying the Site it serves, optionally over TLS.

    The TLS handshake runs in the connection's own thread, not in accept(), so one slow or broken
    client cannot hold up the others. Open connections are tracked so close_connections() can end
    idle keep-alive connections at shutdown.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], family: int, site: Site, tls: ssl.SSLContext | None) -> None:
        self.address_family = family
        self.site = site
        self._tls = tls
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, RequestHandler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the address, which can stall startup."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self._tls is None:
            self._handle(request, client_address)
            return
        request.settimeout(RequestHandler.timeout)
        try:
            wrapped = self._tls.wrap_socket(request, server_side=True)
        except OSError as exc:  # plain HTTP to the TLS port, bad client certificate, ...
            log.debug("TLS handshake failed", extra={"client": client_address[0], "err": str(exc)})
            return
        with wrapped:
            self._handle(wrapped, client_address)

    def _handle(self, connection: socket.socket, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(connection)
        try:
            self.RequestHandlerClass(connection, client_address, self)
        finally:
            with self._connections_lock:
                self._connections.discard(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log instead of socketserver's traceback on stderr; a client hanging up is not our error."""
        if isinstance(sys.exc_info()[1], OSError):
            log.debug("connection ended abruptly", extra={"client": client_address[0]}, exc_info=True)
        else:
            log.error("request failed", extra={"client": client_address[0]}, exc_info=True)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # the client may have closed it first
                connection.shutdown(socket.SHUT_RDWR)


class RequestHandler(BaseHTTPRequestHandler):
    """Routes GET and HEAD; every other method is 405. Authentication comes before anything else."""

    protocol_version = "HTTP/1.1"  # keep-alive, as Prometheus reuses connections between scrapes
    server_version = "llmon"
    timeout = 60  # seconds an idle keep-alive connection may hold its thread
    # Headers and body are two writes; with Nagle's algorithm a keep-alive reply would wait 40 ms.
    disable_nagle_algorithm = True
    server: SiteServer

    def version_string(self) -> str:
        """The Server header names the product only, not the Python version behind it."""
        return self.server_version

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def __getattr__(self, name: str) -> Any:
        """Any other method (POST, PUT, ...) gets 405 rather than the default 501."""
        if name.startswith("do_"):
            return self._method_not_allowed
        raise AttributeError(name)

    def _method_not_allowed(self) -> None:
        if self._authorised():
            self._send(Response(405, b"method not allowed\n", headers={"Allow": "GET, HEAD"}), send_body=True)

    def _authorised(self) -> bool:
        """Without valid credentials, answer 401 with an empty body and reveal nothing else."""
        auth = self.server.site.auth
        if auth is None or auth.check(self.headers.get("Authorization")):
            return True
        challenge = {"WWW-Authenticate": f'Basic realm="{self.server.site.program}", charset="UTF-8"'}
        self._send(Response(401, content_type=None, headers=challenge), send_body=True)
        return False

    def _serve(self, send_body: bool) -> None:
        if not self._authorised():
            return
        route = _ROUTES.get(urlsplit(self.path).path)
        self._send(route(self) if route else Response(404, b"not found\n"), send_body)

    def _metrics(self) -> Response:
        encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
        try:
            body = encoder(self.server.site.registry)
        except Exception:
            log.exception("rendering /metrics failed")
            return Response(500, b"internal error while rendering metrics\n")
        if not gzip_accepted(self.headers.get("Accept-Encoding", "")):
            return Response(200, body, content_type)
        return Response(200, gzip.compress(body, GZIP_LEVEL), content_type, {"Content-Encoding": "gzip"})

    def _healthz(self) -> Response:
        return Response(200, b"ok\n")

    def _readyz(self) -> Response:
        pending = self.server.site.pending_sources()
        if pending:
            return Response(503, f"waiting for the first collection of: {', '.join(pending)}\n".encode())
        return Response(200, b"ok\n")

    def _landing(self) -> Response:
        return Response(200, self.server.site.landing_page, "text/html; charset=utf-8")

    def _send(self, response: Response, send_body: bool) -> None:
        self.send_response(response.status)
        headers = {**self.server.site.headers, **response.headers}
        # A request body is never read, so the connection must end before it is taken for a request.
        if self.headers.get("Content-Length", "0") != "0" or "Transfer-Encoding" in self.headers:
            headers["Connection"] = "close"
        for name, value in headers.items():
            self.send_header(name, value)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are logged at debug level through logging, not printed to stderr."""
        if log.isEnabledFor(logging.DEBUG):  # spare formatting every request line for nothing
            log.debug(format % args, extra={"client": self.client_address[0]})


#: Path -> handler method, built once rather than for every request.
_ROUTES: dict[str, Callable[[RequestHandler], Response]] = {
    "/metrics": RequestHandler._metrics,
    "/healthz": RequestHandler._healthz,
    "/readyz": RequestHandler._readyz,
    "/": RequestHandler._landing,
}
