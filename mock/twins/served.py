"""The lifecycle shared by the HTTP twins that serve one API object on one port.

A twin binds on ``start()`` (port 0 picks a free one, for tests), answers on daemon threads so a hung
client never blocks shutdown, and stops within one poll interval on ``stop()``; it is also a context
manager. The request handler reaches the twin's API object as ``self.server.api``.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from mock.errors import MockError
from mock.twins import wait_for_stop_signal


class TwinHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    api: Any


class ServedTwin:
    """Start with ``start()``, stop with ``stop()``; subclasses set ``api`` before starting."""

    #: The upstream it imitates: names the logger (llmon.mock.twin.<name>) and the log line.
    twin_name = "http"
    handler: type[BaseHTTPRequestHandler]
    api: Any

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._httpd: TwinHttpServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._httpd = TwinHttpServer(self._address, self.handler)
        self._httpd.api = self.api
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.1,), daemon=True)
        self._thread.start()
        logging.getLogger(f"llmon.mock.twin.{self.twin_name}").info(
            f"{self.twin_name} twin listening", extra={"address": f"{self._address[0]}:{self.port}"}
        )
        return self

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the twin is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self.port}"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_until_signal(self, listen: str) -> int:
        """What ``llmon-mock twin <name>`` does: serve until SIGTERM/SIGINT, then stop; a port that
        cannot be bound is one line naming the option, not a traceback."""
        try:
            self.start()
        except OSError as exc:
            raise MockError(f"--listen: cannot listen on {listen}: {exc.strerror}") from None
        wait_for_stop_signal()
        self.stop()
        return 0
