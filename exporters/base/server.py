"""ExporterServer: one exporter's sources, registry and HTTP server, startable and stoppable in-process."""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType

from .collection import Collection
from .landing import render_landing_page
from .registry import build_registry
from .settings import ExporterSettings
from .spec import ExporterSpec
from .web import Site, SiteServer
from .webconfig import load_web_config

log = logging.getLogger(__name__)
_UNSPECIFIED = {"0.0.0.0": "127.0.0.1", "::": "::1"}
#: How often the accept loop checks for shutdown; bounds how long stop() waits for it.
_POLL_SECONDS = 0.1


def split_listen_address(address: str) -> tuple[str, int, socket.AddressFamily]:
    """host:port (already validated by the settings) to a bind address; an empty host means all IPv4."""
    host, _, port = address.rpartition(":")
    if host.startswith("["):
        return host[1:-1], int(port), socket.AF_INET6
    return host or "0.0.0.0", int(port), socket.AF_INET


class ExporterServer:
    """Builds the sources and serves them; ``start()`` binds (port 0 picks a free port), ``stop()`` ends it.

    Construction validates everything (web config, sources) without touching any upstream, so
    ``--check-config`` can use it too.
    """

    def __init__(self, spec: ExporterSpec, settings: ExporterSettings) -> None:
        self.spec = spec
        self.settings = settings
        self._web = load_web_config(settings.web_config_file)
        self.collection = Collection(
            spec.build_sources(settings), settings.collect_interval, settings.collect_timeout
        )
        self.registry = build_registry(spec, self.collection)
        self._site = Site(
            program=spec.program,
            registry=self.registry,
            landing_page=render_landing_page(spec, self.collection.sources),
            pending_sources=self.collection.pending,
            auth=self._web.auth,
            headers=self._web.headers,
        )
        self._httpd: SiteServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ExporterServer:
        """Bind and serve in a background thread, then start collecting; raises OSError if binding fails."""
        host, port, family = split_listen_address(self.spec.listen_address(self.settings))
        self._httpd = SiteServer((host, port), family, self._site, self._web.tls)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(_POLL_SECONDS,), name="http", daemon=True
        )
        self._thread.start()
        self.collection.start()
        log.info(
            "listening",
            extra={
                "address": self.address,
                "tls": self._web.tls is not None,
                "basic_auth": self._web.auth is not None,
            },
        )
        return self

    @property
    def address(self) -> str:
        """The bound host:port, with the real port when 0 was asked for."""
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        host, port = self._httpd.server_address[:2]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"

    @property
    def url(self) -> str:
        """Base URL for clients; an all-interfaces bind is reached through loopback."""
        host, _, port = self.address.rpartition(":")
        bare = host.strip("[]")
        reachable = _UNSPECIFIED.get(bare, bare)
        netloc = f"[{reachable}]:{port}" if ":" in reachable else f"{reachable}:{port}"
        return f"{'https' if self._web.tls else 'http'}://{netloc}"

    def stop(self) -> None:
        """Stop collecting and serving; idempotent."""
        self.collection.stop()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_connections()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> ExporterServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
