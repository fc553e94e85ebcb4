"""run(): the whole life of an exporter process, from the command line to a clean exit on SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from pydantic import SecretStr

from .config import load
from .errors import ConfigError
from .logs import setup_logging
from .server import ExporterServer
from .settings import ExporterSettings
from .spec import ExporterSpec

log = logging.getLogger(__name__)
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _secret_values(settings: ExporterSettings) -> list[str]:
    """Every secret the settings hold, so the log formatter can redact them wherever they turn up."""
    values = []
    for value in vars(settings).values():
        items = value if isinstance(value, list | tuple | set | frozenset) else [value]
        values.extend(item.get_secret_value() for item in items if isinstance(item, SecretStr))
    return values


def _serve_until_signalled(server: ExporterServer) -> None:
    """Serve until SIGTERM or SIGINT; the handler only sets an event, all work happens here."""
    received: list[int] = []
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in _STOP_SIGNALS}
    try:
        server.start()
        stop.wait()
        log.info("shutting down", extra={"signal": signal.Signals(received[0]).name})
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(spec: ExporterSpec, argv: Sequence[str] | None = None) -> int:
    """Run the exporter; returns the exit status (0 after a signal, 2 for bad configuration).

    Every problem the operator can fix is reported as one line "<program>: error: <option>: <why>" on
    stderr, never as a traceback.
    """
    try:
        invocation = load(spec, sys.argv[1:] if argv is None else argv, os.environ)
        settings = invocation.settings
        setup_logging(settings.log_level, settings.log_format, _secret_values(settings))
        server = ExporterServer(spec, settings)
    except ConfigError as exc:
        print(f"{spec.program}: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    if invocation.check_only:
        names = ", ".join(source.name for source in server.collection.sources) or "none"
        print(f"{spec.program}: config ok (sources: {names})")
        return 0
    log.info("starting", extra={"exporter": spec.name, "version": spec.version})
    try:
        _serve_until_signalled(server)
    except OSError as exc:
        address = spec.listen_address(settings)
        print(
            f"{spec.program}: error: --web.listen-address: cannot listen on {address}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    log.info("stopped")
    return 0
