"""Every exporter answers every scrape under issue 10's load (20 scrapers x 10/s), briefly.

The full figures (60 s per exporter, p99 against node_exporter, RSS growth) come from
benchmarks/exporter_load.py; here the load runs 3 s per exporter and only what is not a timing is
asserted: no scrape fails (an HTTP status other than 200, a reset, or no answer within 10 s).
"""

from __future__ import annotations

import pytest

from benchmarks.loadgen import run_load
from mock.stack import NativeStack

SCRAPERS = 20
RATE = 10.0
SECONDS = 3.0

pytestmark = pytest.mark.integration


def test_every_exporter_answers_every_scrape_under_load(stack: NativeStack) -> None:
    exporters = [name for name in stack.children if name.endswith("-exporter")]
    assert len(exporters) >= 4, f"the stack runs too few exporters: {exporters}"
    failed = {}
    for name in exporters:
        result = run_load(f"{stack.url(name)}/metrics", SCRAPERS, RATE, SECONDS)
        assert result.scrapes >= SCRAPERS, f"{name}: the load generator sent only {result.scrapes} scrapes"
        if result.failures:
            failed[name] = result.failures
    assert failed == {}


def test_load_is_refused_beyond_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        run_load("http://192.0.2.1:9871/metrics", 1, 1.0, 1.0)
