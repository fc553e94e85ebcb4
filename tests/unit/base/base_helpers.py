"""Helpers for the exporters.base tests: reading expositions and waiting for background work."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from exporters.base import ExporterServer

#: One client for all tests: building an httpx client (its TLS context) costs more than a scrape.
HTTP = httpx.Client(timeout=10.0)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a text exposition, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample, or None when the exposition does not have it."""
    return samples(text).get((name, frozenset(labels.items())))


def scrape(server: ExporterServer) -> str:
    response = HTTP.get(f"{server.url}/metrics")
    assert response.status_code == 200
    return response.text


def wait_until(condition: Callable[[], Any], what: str, seconds: float = 10.0) -> Any:
    """Poll until condition() is truthy; a deadline only so a broken build fails instead of hanging."""
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)
    return result


LOGFMT_PAIR = re.compile(r'([^\s=]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)')
RFC3339_MS_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def parse_logfmt(line: str) -> dict[str, str]:
    """A strict reader: the whole line must be key=value pairs separated by single spaces."""
    pairs = LOGFMT_PAIR.findall(line)
    assert " ".join(f"{key}={value}" for key, value in pairs) == line
    return {
        key: re.sub(r"\\(.)", lambda m: ESCAPES[m.group(1)], value[1:-1]) if value.startswith('"') else value
        for key, value in pairs
    }


def parse_json(line: str) -> dict[str, object]:
    return json.loads(line)


PARSERS = {"logfmt": parse_logfmt, "json": parse_json}
