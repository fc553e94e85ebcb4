"""Structured logging on stderr: logfmt (the Prometheus ecosystem's default) or JSON lines.

Extra fields are passed the standard way, ``log.info("msg", extra={"source": "cpu"})``, and end up as
``key=value`` pairs. Known secret values are redacted from every field as a last line of defence.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
_LEVEL_NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn"}
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_REDACTED = "<redacted>"
#: Shorter "secrets" would redact ordinary words out of every line.
_MIN_REDACTED_LENGTH = 4


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time, so redirected or captured stderr is honoured."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr


class _FieldsFormatter(logging.Formatter):
    """Turns a record into ordered fields: ts, level, logger, msg, then the extras and any error."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= _MIN_REDACTED_LENGTH}, key=len, reverse=True)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _REDACTED)
        return text

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        fields: dict[str, Any] = {
            "ts": stamp.replace("+00:00", "Z"),
            "level": _LEVEL_NAMES.get(record.levelno, "error"),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields.update((k, v) for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES)
        if record.exc_info:
            fields["stack"] = self.formatException(record.exc_info)
        return {
            key: self._redact(value) if isinstance(value, str) else value for key, value in fields.items()
        }


def _logfmt_value(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, bool) or value is None else str(value)
    if text and all(c.isprintable() and c not in ' ="\\' for c in text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped.replace("\t", "\\t") + '"'


class LogfmtFormatter(_FieldsFormatter):
    """``ts=... level=info logger=... msg="..." key=value``, values quoted only when they must be."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in self.fields(record).items())


class JsonFormatter(_FieldsFormatter):
    """One JSON object per line with the same fields as logfmt."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.fields(record), default=str)


def setup_logging(level: str, log_format: str, secrets: Iterable[str] = ()) -> None:
    """Route all logging to stderr in the chosen format, replacing what an earlier call installed."""
    formatter = JsonFormatter(secrets) if log_format == "json" else LogfmtFormatter(secrets)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(LEVELS[level])
