"""Errors shared by every exporter: why a collection failed, and why the configuration is unusable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The bounded set of values of the ``reason`` label of ``llmon_exporter_collect_errors_total``.
#: Bounded so a misbehaving upstream can never blow up the label cardinality; anything a Source does
#: not classify itself is counted as "internal".
REASONS: tuple[str, ...] = (
    "timeout",
    "unreachable",
    "auth",
    "rate_limited",
    "http_status",
    "malformed",
    "io",
    "unsupported",
    "internal",
)


class CollectError(Exception):
    """Raised by a Source when its upstream fails; ``reason`` becomes a label, ``message`` a log line.

    ``message`` is one sentence for an operator and must not contain secrets: it is logged verbatim.
    """

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown collect error reason {reason!r}; use one of {', '.join(REASONS)}")
        super().__init__(message)
        self.reason = reason
        self.message = message


class ConfigError(Exception):
    """A flag, variable or file the operator gave is unusable: reported as one line, exit status 2.

    ``option`` names the option the way the operator knows it (``--collect.interval``) so the line says
    what to fix; it is None when the problem is not tied to one option.
    """

    def __init__(self, option: str | None, reason: str) -> None:
        super().__init__(f"{option}: {reason}" if option else reason)
        self.option = option
        self.reason = reason


def validation_reason(error: Mapping[str, Any]) -> str:
    """A pydantic error as an operator should read it: without pydantic's "Value error, " prefix."""
    if error["type"] == "extra_forbidden":
        return "unknown key"
    return str(error["msg"]).removeprefix("Value error, ")
