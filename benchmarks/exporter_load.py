"""Every llmon exporter under sustained scrape load, against Debian's node_exporter in the same run.

The native mock stack (twins, all exporters, Prometheus) runs on free loopback ports, and Debian's
prometheus-node-exporter beside it as the peer. Each exporter in turn gets ``--scrapers`` concurrent
scrapers at ``--rate`` scrapes per second each for ``--seconds`` (issue 10: 20 x 10/s for 60 s), after
a short warm-up at the same load. Printed per exporter: scrapes, failed scrapes, p50 and p99 latency,
p99 relative to node_exporter's under the same load, and resident memory before and after the run.

    .venv/bin/python benchmarks/exporter_load.py [--scrapers 20] [--rate 10] [--seconds 60] [--json]

Goals: no failed scrape, RSS growth under 5 %. Exit 0 when both hold for every exporter, 1 when one
fails, 2 when the stack will not start.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.loadgen import LoadResult, run_load
from mock.stack import NativeStack, StackError, free_ports

NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
WARM_UP_S = 5.0
RSS_GROWTH_GOAL = 0.05


@contextlib.contextmanager
def node_exporter_peer() -> Iterator[tuple[str, int]]:
    """Debian's node_exporter on a free loopback port: (metrics URL, pid)."""
    port = free_ports(["peer"])["peer"]
    process = subprocess.Popen(
        [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        url = f"http://127.0.0.1:{port}/metrics"
        while time.monotonic() < deadline and not run_load(url, 1, 10, 0.2).latencies:
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(5)


def measure(url: str, pid: int, scrapers: int, rate: float, seconds: float) -> dict[str, object]:
    run_load(url, scrapers, rate, WARM_UP_S)
    process = psutil.Process(pid)
    rss_before = process.memory_info().rss
    result: LoadResult = run_load(url, scrapers, rate, seconds)
    rss_after = process.memory_info().rss
    return {
        "scrapes": result.scrapes,
        "failed": sum(result.failures.values()),
        "failures": result.failures,
        "p50_ms": result.median * 1000,
        "p99_ms": result.percentile(0.99) * 1000,
        "rss_before_mb": rss_before / 1e6,
        "rss_after_mb": rss_after / 1e6,
        "rss_growth": rss_after / rss_before - 1,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scrapers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not Path(NODE_EXPORTER).exists():
        print(f"{NODE_EXPORTER} not found; install it with: sudo apt-get install prometheus-node-exporter")
        return 2
    figures: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="llmon-load-") as var, contextlib.ExitStack() as stack:
        try:
            native = stack.enter_context(NativeStack(Path(var)))
        except StackError as error:
            print(f"the native stack did not start: {error}")
            return 2
        peer_url, peer_pid = stack.enter_context(node_exporter_peer())
        figures["node_exporter (peer)"] = measure(peer_url, peer_pid, args.scrapers, args.rate, args.seconds)
        for name, child in native.children.items():
            if name.endswith("-exporter"):
                url = f"{native.url(name)}/metrics"
                figures[name] = measure(url, child.pid, args.scrapers, args.rate, args.seconds)
    peer_p99 = float(figures["node_exporter (peer)"]["p99_ms"])  # type: ignore[arg-type]
    for row in figures.values():
        row["p99_vs_node_exporter"] = float(row["p99_ms"]) / peer_p99  # type: ignore[arg-type]
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"{args.scrapers} scrapers x {args.rate:g}/s for {args.seconds:g} s each, loopback")
        print(
            f"{'exporter':24} {'scrapes':>8} {'failed':>6} {'p50 ms':>8} {'p99 ms':>8} {'p99/peer':>8} "
            f"{'RSS MB':>14} {'growth':>7}"
        )
        for name, row in figures.items():
            print(
                f"{name:24} {row['scrapes']:>8} {row['failed']:>6} {row['p50_ms']:>8.1f} "
                f"{row['p99_ms']:>8.1f} {row['p99_vs_node_exporter']:>8.2f} "
                f"{row['rss_before_mb']:>6.1f}->{row['rss_after_mb']:<6.1f} "
                f"{row['rss_growth']:>+7.1%}"
            )
    passed = all(
        row["failed"] == 0 and float(row["rss_growth"]) < RSS_GROWTH_GOAL  # type: ignore[arg-type]
        for name, row in figures.items()
        if name != "node_exporter (peer)"
    )
    print("goals (no failed scrape, RSS growth < 5 %):", "pass" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
