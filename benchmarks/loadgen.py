"""A bounded scrape load generator: N scrapers, each at a fixed rate, against one loopback URL.

Each scraper keeps one HTTP/1.1 connection open and sends Prometheus' own request headers (OpenMetrics
first, gzip), paced on a fixed schedule so a slow answer is not hidden by sending less: a scraper that
falls behind sends its next request at once, never more than one at a time. Only loopback targets are
accepted: this is a tool for measuring llmon on one's own machine, not for loading someone else's.
"""

from __future__ import annotations

import http.client
import ipaddress
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
HEADERS = {"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"}
#: Prometheus' default scrape timeout: an answer slower than this is a failed scrape.
SCRAPE_TIMEOUT_S = 10.0
MAX_SCRAPERS = 64
MAX_RATE_PER_SCRAPER = 50.0


@dataclass
class LoadResult:
    """What one load run saw: latencies of successful scrapes and every failure by cause."""

    latencies: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def scrapes(self) -> int:
        return len(self.latencies) + sum(self.failures.values())

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


def _loopback(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname is None or parts.port is None:
        raise ValueError(f"{url}: expected http://<loopback address>:<port>/<path>")
    if parts.hostname != "localhost" and not ipaddress.ip_address(parts.hostname).is_loopback:
        raise ValueError(f"{url}: load is only generated against loopback addresses")
    return parts.hostname, parts.port, parts.path or "/metrics"


def run_load(url: str, scrapers: int, rate: float, seconds: float) -> LoadResult:
    """``scrapers`` concurrent scrapers, each ``rate`` scrapes per second, for ``seconds``."""
    if not 1 <= scrapers <= MAX_SCRAPERS or not 0 < rate <= MAX_RATE_PER_SCRAPER or not 0 < seconds <= 600:
        raise ValueError("load bounds: 1-64 scrapers, up to 50 scrapes/s each, up to 600 s")
    host, port, path = _loopback(url)
    result = LoadResult()
    lock = threading.Lock()
    start = time.monotonic() + 0.05
    stop_at = start + seconds

    def scraper(offset: float) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=SCRAPE_TIMEOUT_S)
        next_at = start + offset
        try:
            while next_at < stop_at:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += 1.0 / rate
                began = time.perf_counter()
                try:
                    connection.request("GET", path, headers=HEADERS)
                    response = connection.getresponse()
                    response.read()
                    outcome = None if response.status == 200 else f"http {response.status}"
                except (OSError, http.client.HTTPException) as error:
                    outcome = type(error).__name__
                    connection.close()
                    connection = http.client.HTTPConnection(host, port, timeout=SCRAPE_TIMEOUT_S)
                elapsed = time.perf_counter() - began
                with lock:
                    if outcome is None:
                        result.latencies.append(elapsed)
                    else:
                        result.failures[outcome] = result.failures.get(outcome, 0) + 1
        finally:
            connection.close()

    threads = [
        threading.Thread(target=scraper, args=(index / (scrapers * rate),), daemon=True)
        for index in range(scrapers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + SCRAPE_TIMEOUT_S + 5)
    return result
