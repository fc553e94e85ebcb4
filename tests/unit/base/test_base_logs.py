"""Logging: logfmt and JSON lines that parse back to what was logged, level filtering, secret redaction."""

from __future__ import annotations

import logging

import pytest
from base_helpers import PARSERS, RFC3339_MS_UTC, parse_logfmt

from exporters.base.logs import setup_logging

AWKWARD = {"spaces": "two words", "quote": 'say "hi"', "newline": "a\nb\tc", "equals": "k=v", "empty": ""}


def logged(capsys: pytest.CaptureFixture[str], log_format: str) -> list[dict]:
    lines = capsys.readouterr().err.splitlines()
    return [PARSERS[log_format](line) for line in lines]


@pytest.mark.parametrize("log_format", ["logfmt", "json"])
def test_lines_parse_back_to_what_was_logged(log_format: str, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("info", log_format)
    logging.getLogger("llmon.test").warning("something odd: %s", "it broke", extra={**AWKWARD, "port": 9871})
    (entry,) = logged(capsys, log_format)
    assert RFC3339_MS_UTC.match(str(entry["ts"]))
    assert (entry["level"], entry["logger"], entry["msg"]) == (
        "warn",
        "llmon.test",
        "something odd: it broke",
    )
    for key, value in AWKWARD.items():
        assert entry[key] == value
    assert str(entry["port"]) == "9871"
    assert list(entry)[:4] == ["ts", "level", "logger", "msg"]


@pytest.mark.parametrize("log_format", ["logfmt", "json"])
def test_exceptions_stay_on_one_line(log_format: str, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("info", log_format)
    try:
        raise ValueError("bad value")
    except ValueError:
        logging.getLogger("llmon.test").exception("failed")
    (entry,) = logged(capsys, log_format)
    assert entry["level"] == "error"
    assert str(entry["stack"]).startswith("Traceback (most recent call last):")
    assert str(entry["stack"]).endswith("ValueError: bad value")


@pytest.mark.parametrize(
    ("level", "shown"),
    [
        ("debug", ["debug", "info", "warn", "error"]),
        ("info", ["info", "warn", "error"]),
        ("error", ["error"]),
    ],
)
def test_log_level_filters(level: str, shown: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(level, "logfmt")
    log = logging.getLogger("llmon.test")
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.error("e")
    assert [entry["level"] for entry in logged(capsys, "logfmt")] == shown


@pytest.mark.parametrize("log_format", ["logfmt", "json"])
def test_known_secrets_are_redacted_everywhere(log_format: str, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("info", log_format, secrets=["s3cr3t-token", "te"])
    log = logging.getLogger("llmon.test")
    try:
        raise RuntimeError("upstream rejected s3cr3t-token")
    except RuntimeError:
        log.exception("call with s3cr3t-token failed", extra={"url": "http://x/?key=s3cr3t-token"})
    output = capsys.readouterr().err
    assert "s3cr3t-token" not in output
    entry = PARSERS[log_format](output.strip())
    assert entry["msg"] == "call with <redacted> failed"
    assert entry["url"] == "http://x/?key=<redacted>"
    assert str(entry["stack"]).endswith("RuntimeError: upstream rejected <redacted>")
    assert entry["logger"] == "llmon.test"  # two-character "secrets" are not worth mangling every line for


def test_setup_replaces_the_previous_handler(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("info", "json")
    setup_logging("info", "logfmt")
    logging.getLogger("llmon.test").info("once")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert parse_logfmt(lines[0])["msg"] == "once"
