"""Scrape cost of llmon's node exporter against Debian's prometheus-node-exporter on this host.

Both exporters read this machine's real /proc, /sys and / with the collectors they share, and are
scraped alternately (the order flips every round) so both see the same machine noise. The request
carries the Accept and Accept-Encoding headers Prometheus 2.42 sends, so each exporter does the work a
real scrape asks of it. Reported per exporter: latency p50/p99, CPU seconds per scrape (utime+stime of
the process, so background threads and garbage collection count), RSS after the run and the number of
samples served; then llmon/node_exporter ratios and the goals.

    .venv/bin/python benchmarks/node_scrape.py [--scrapes 200] [--warmup 20] [--json]

Exit status: 0 when every goal passes, 1 when one fails, 2 when an exporter is missing or won't start.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import json
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import psutil

from exporters.node.config import COLLECTOR_NAMES

RESULTS_DIR = Path(__file__).resolve().parent / "results"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"

# The collectors llmon implements, which both exporters run. node_exporter's netclass is part of what
# llmon's netdev source covers (node_network_up/_info/_mtu_bytes), so it is enabled on that side.
SHARED_COLLECTORS = COLLECTOR_NAMES
NODE_EXPORTER_ONLY = ("netclass",)

# What Prometheus 2.42 asks for (scrape/scrape.go: scrapeAcceptHeader), and it always accepts gzip.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)

# Goals: llmon may cost at most twice what the Go exporter does per scrape, and stay small.
MAX_RATIO = 2.0
MAX_RSS_MB = 60.0


@dataclass
class Exporter:
    """One exporter under test: how to start it and what was measured."""

    name: str
    argv: list[str]
    port: int
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None  # the exporter's own output, shown only if it fails to start
    connection: http.client.HTTPConnection | None = None
    latencies: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    rss_bytes: int = 0
    samples: int = 0
    node_samples: int = 0

    @property
    def psutil_process(self) -> psutil.Process:
        assert self.process is not None
        return psutil.Process(self.process.pid)

    def scrape(self) -> tuple[float, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            return scrape(self.connection)
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise


@dataclass
class Result:
    """The figures of one exporter, as printed and as written with --json."""

    name: str
    p50_ms: float
    p99_ms: float
    cpu_ms_per_scrape: float
    rss_mb: float
    samples: int
    node_samples: int


def fail(message: str) -> SystemExit:
    """Print the error and give the exit to raise: status 2, the benchmark could not run."""
    print(f"node_scrape: error: {message}", file=sys.stderr)
    return SystemExit(2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def llmon_exporter_argv(port: int) -> list[str]:
    beside = Path(sys.executable).parent / "llmon-node-exporter"
    script = str(beside) if beside.exists() else shutil.which("llmon-node-exporter")
    if script is None:
        raise fail("llmon-node-exporter not found; run: make venv")
    return [script, f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]


def node_exporter_argv(binary: str, port: int) -> list[str]:
    if not Path(binary).is_file():
        raise fail(f"{binary} not found; install it with: sudo apt-get install prometheus-node-exporter")
    collectors = [f"--collector.{name}" for name in (*SHARED_COLLECTORS, *NODE_EXPORTER_ONLY)]
    return [
        binary,
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
        "--collector.disable-defaults",
        *collectors,
    ]


def scrape(connection: http.client.HTTPConnection) -> tuple[float, bytes]:
    """One scrape as Prometheus does it, on a kept-alive connection when the server allows one (the
    client reconnects by itself when the server closed it); returns (seconds, decompressed body).
    The clock covers the request and reading the whole body, not the decompression on our side."""
    started = time.perf_counter()
    connection.request("GET", "/metrics", headers={"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise OSError(f"/metrics answered HTTP {response.status}")
    if response.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return elapsed, body


def count_samples(body: bytes) -> tuple[int, int]:
    """(all samples, samples of node_* metrics) in a text or OpenMetrics exposition."""
    lines = [line for line in body.decode().splitlines() if line and not line.startswith("#")]
    return len(lines), sum(1 for line in lines if line.startswith("node_"))


def startup_failure(exporter: Exporter, why: str) -> SystemExit:
    """The one-line error for an exporter that would not serve, followed by what it printed."""
    output = b""
    if exporter.log is not None:
        exporter.log.seek(0)
        output = exporter.log.read()[-2000:]
    return fail(f"{exporter.name} {why}\n{output.decode(errors='replace')}".rstrip())


def wait_until_serving(exporter: Exporter, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert exporter.process is not None
        if exporter.process.poll() is not None:
            raise startup_failure(exporter, f"exited with code {exporter.process.returncode}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            exporter.scrape()
            return
        if time.monotonic() > deadline:
            raise startup_failure(exporter, f"does not serve /metrics on port {exporter.port}")
        time.sleep(0.2)


@contextlib.contextmanager
def running(exporters: list[Exporter]) -> Iterator[None]:
    """Start every exporter and stop them all on the way out, Ctrl-C included."""
    with contextlib.ExitStack() as logs:
        try:
            for exporter in exporters:
                exporter.log = logs.enter_context(tempfile.TemporaryFile())
                exporter.process = subprocess.Popen(
                    exporter.argv, stdin=subprocess.DEVNULL, stdout=exporter.log, stderr=subprocess.STDOUT
                )
            for exporter in exporters:
                wait_until_serving(exporter)
            yield
        finally:
            stop(exporters)


def stop(exporters: list[Exporter]) -> None:
    """SIGTERM to all, then wait for each, SIGKILL for any that outlives its grace period."""
    for exporter in exporters:
        if exporter.connection is not None:
            exporter.connection.close()
        if exporter.process is not None and exporter.process.poll() is None:
            exporter.process.terminate()
    for exporter in exporters:
        if exporter.process is None:
            continue
        try:
            exporter.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            exporter.process.kill()
            exporter.process.wait()


def cpu_seconds(exporter: Exporter) -> float:
    times = exporter.psutil_process.cpu_times()
    return times.user + times.system


def measure(exporters: list[Exporter], scrapes: int, warmup: int) -> None:
    """Warm both up, then scrape them alternately; CPU is the process delta over the measured rounds."""
    for _ in range(warmup):
        for exporter in exporters:
            exporter.scrape()
    cpu_before = [cpu_seconds(exporter) for exporter in exporters]
    body: dict[str, bytes] = {}
    for round_number in range(scrapes):
        order = exporters if round_number % 2 == 0 else list(reversed(exporters))
        for exporter in order:
            elapsed, body[exporter.name] = exporter.scrape()
            exporter.latencies.append(elapsed)
    for exporter, before in zip(exporters, cpu_before, strict=True):
        exporter.cpu_seconds = cpu_seconds(exporter) - before
        exporter.rss_bytes = exporter.psutil_process.memory_info().rss
        exporter.samples, exporter.node_samples = count_samples(body[exporter.name])


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: an observed value, not an interpolation between two."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(exporter: Exporter) -> Result:
    return Result(
        name=exporter.name,
        p50_ms=statistics.median(exporter.latencies) * 1000,
        p99_ms=percentile(exporter.latencies, 0.99) * 1000,
        cpu_ms_per_scrape=exporter.cpu_seconds / len(exporter.latencies) * 1000,
        rss_mb=exporter.rss_bytes / 1e6,
        samples=exporter.samples,
        node_samples=exporter.node_samples,
    )


def goals(llmon: Result, peer: Result) -> list[tuple[str, float, str, bool]]:
    """(goal, measured, limit, passed) for each goal."""
    p50_ratio = llmon.p50_ms / peer.p50_ms
    cpu_ratio = llmon.cpu_ms_per_scrape / peer.cpu_ms_per_scrape if peer.cpu_ms_per_scrape else float("inf")
    return [
        ("p50 latency ratio", p50_ratio, f"<= {MAX_RATIO:g}x", p50_ratio <= MAX_RATIO),
        ("CPU per scrape ratio", cpu_ratio, f"<= {MAX_RATIO:g}x", cpu_ratio <= MAX_RATIO),
        ("llmon RSS (MB)", llmon.rss_mb, f"< {MAX_RSS_MB:g}", llmon.rss_mb < MAX_RSS_MB),
    ]


def print_report(llmon: Result, peer: Result, scrapes: int) -> None:
    columns = [
        ("p50 ms", "p50_ms", ".2f"),
        ("p99 ms", "p99_ms", ".2f"),
        ("CPU ms/scrape", "cpu_ms_per_scrape", ".2f"),
        ("RSS MB", "rss_mb", ".1f"),
        ("samples", "samples", "d"),
        ("node_* samples", "node_samples", "d"),
    ]
    print(
        f"node exporter scrape benchmark: {scrapes} scrapes each, interleaved, on {platform.node()}"
        f" ({psutil.cpu_count()} CPUs, {platform.release()})"
    )
    print(f"{'':<16}" + "".join(f"{title:>16}" for title, _, _ in columns))
    for result in (llmon, peer):
        print(f"{result.name:<16}" + "".join(f"{getattr(result, key):>16{fmt}}" for _, key, fmt in columns))
    ratios = [
        getattr(llmon, key) / getattr(peer, key) if getattr(peer, key) else float("inf")
        for _, key, _ in columns
    ]
    print(f"{'llmon/node_exp':<16}" + "".join(f"{ratio:>15.2f}x" for ratio in ratios))
    print("goals:")
    for goal, value, limit, passed in goals(llmon, peer):
        print(f"  {goal:<22} {value:>8.2f}  {limit:<8} {'PASS' if passed else 'FAIL'}")


def write_json(llmon: Result, peer: Result, scrapes: int) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"node_scrape-{stamp}.json"
    document = {
        "benchmark": "node_scrape",
        "timestamp": stamp,
        "host": {
            "cpus": psutil.cpu_count(),
            "kernel": platform.release(),
            "python": platform.python_version(),
        },
        "scrapes": scrapes,
        "results": [asdict(llmon), asdict(peer)],
        "goals": [
            {"goal": goal, "value": value, "limit": limit, "passed": passed}
            for goal, value, limit, passed in goals(llmon, peer)
        ],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scrapes", type=int, default=200, help="measured scrapes per exporter (default 200)"
    )
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured scrapes first (default 20)")
    parser.add_argument(
        "--node-exporter", default=NODE_EXPORTER, help=f"peer binary (default {NODE_EXPORTER})"
    )
    parser.add_argument("--json", action="store_true", help=f"also write the results to {RESULTS_DIR}/")
    args = parser.parse_args(argv)
    if args.scrapes < 1 or args.warmup < 0:
        parser.error("--scrapes must be at least 1 and --warmup not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exporters = [
        Exporter("llmon", llmon_exporter_argv(port := free_port()), port),
        Exporter("node_exporter", node_exporter_argv(args.node_exporter, port := free_port()), port),
    ]
    try:
        with running(exporters):
            measure(exporters, args.scrapes, args.warmup)
    except KeyboardInterrupt:
        print("node_scrape: interrupted; both exporters stopped", file=sys.stderr)
        return 130
    llmon, peer = (summarise(exporter) for exporter in exporters)
    print_report(llmon, peer, args.scrapes)
    if args.json:
        print(f"results written to {write_json(llmon, peer, args.scrapes)}")
    return 0 if all(passed for *_, passed in goals(llmon, peer)) else 1


if __name__ == "__main__":
    sys.exit(main())
