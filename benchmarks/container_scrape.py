"""Container exporter cost against the Docker twin, and a naive docker-SDK loop over the same containers.

The twin (`llmon-mock twin docker`) serves 100 containers (the seeded ones plus synthetic ones) and,
like dockerd, answers a stats call without one-shot only after ``--stats-latency`` seconds (1 s: the
daemon's two-sample wait). Measured in one run:

- llmon's /metrics latency p50/p99 over many scrapes with Prometheus' headers (goal: p99 < 50 ms);
- one full background collection cycle, from llmon_exporter_collect_duration_seconds (goal: < 5 s);
- the naive loop most Docker exporters run per scrape: ``containers.list()`` then
  ``container.stats(stream=False)`` for each, sequentially, timed end to end; the ratio naive/llmon;
- the exporter's RSS with 100 containers.

    .venv/bin/python benchmarks/container_scrape.py [--containers 100] [--stats-latency 1.0]
                                                    [--scrapes 300] [--json]

Exit status: 0 when every goal passes, 1 when one fails, 2 when a process will not start.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

from mock.seed.generate import build_seed

BIN = Path(sys.executable).parent
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
GOAL_P99_S = 0.050
GOAL_CYCLE_S = 5.0
START_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"container_scrape: error: {what} did not start within {START_TIMEOUT_S:g}s")


@contextlib.contextmanager
def _process(argv: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _seeded_containers(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM containers WHERE host_id = 1").fetchone()[0])


def _docker_cycle_seconds(text: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "llmon_exporter_collect_duration_seconds"
                and sample.labels.get("source") == "docker"
            ):
                return float(sample.value)
    return None


def _scrape_latencies(url: str, scrapes: int) -> list[float]:
    headers = {"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"}
    latencies = []
    with httpx.Client(headers=headers, timeout=10) as http:
        for _ in range(scrapes):
            started = time.perf_counter()
            response = http.get(url)
            response.read()
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"container_scrape: error: /metrics answered {response.status_code}")
    return latencies


def _naive_loop(base_url: str) -> tuple[float, int]:
    """What a per-scrape Docker exporter does: list, then a blocking stats call per container."""
    client = docker.DockerClient(base_url=base_url, timeout=60)
    try:
        started = time.perf_counter()
        containers = client.containers.list()
        for container in containers:
            container.stats(stream=False)
        return time.perf_counter() - started, len(containers)
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--containers", type=int, default=100, help="containers the twin serves (default 100)"
    )
    parser.add_argument("--stats-latency", type=float, default=1.0, help="twin's non-one-shot stats delay")
    parser.add_argument("--scrapes", type=int, default=300, help="scrapes to time (default 300)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="llmon-container-bench-") as tmp:
        work = Path(tmp)
        db = work / "mock.db"
        build_seed(42, db)
        extra = max(0, args.containers - _seeded_containers(db))
        twin_port, exporter_port = _free_port(), _free_port()
        twin_argv = [
            str(BIN / "llmon-mock"), "twin", "docker", "--db", str(db), "--listen", f"127.0.0.1:{twin_port}",
            "--containers", str(extra), "--stats-latency", str(args.stats_latency),
        ]  # fmt: skip
        exporter_argv = [
            str(BIN / "llmon-container-exporter"), f"--web.listen-address=127.0.0.1:{exporter_port}",
            f"--docker.host=tcp://127.0.0.1:{twin_port}", "--collect.interval=5s", "--collect.timeout=10s",
            "--stats.deadline=8s", "--log.level=warn",
        ]  # fmt: skip
        with _process(twin_argv, work / "twin.log"):
            _wait(f"http://127.0.0.1:{twin_port}/_ping", "the Docker twin")
            with _process(exporter_argv, work / "exporter.log") as exporter:
                url = f"http://127.0.0.1:{exporter_port}"
                _wait(url + "/readyz", "the container exporter")
                time.sleep(6.0)  # a second cycle: inspects done, connections warm
                metrics = httpx.get(url + "/metrics", timeout=10).text
                cycle = _docker_cycle_seconds(metrics)
                latencies = _scrape_latencies(url + "/metrics", args.scrapes)
                rss_mb = psutil.Process(exporter.pid).memory_info().rss / 1024**2
            naive_s, listed = _naive_loop(f"tcp://127.0.0.1:{twin_port}")
    if cycle is None:
        print("container_scrape: error: the exporter reported no docker collection", file=sys.stderr)
        return 2
    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    result = {
        "containers": listed,
        "stats_latency_s": args.stats_latency,
        "metrics_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "metrics_p99_ms": round(p99 * 1000, 2),
        "llmon_cycle_s": round(cycle, 3),
        "naive_loop_s": round(naive_s, 3),
        "naive_over_llmon": round(naive_s / cycle, 1) if cycle > 0 else None,
        "exporter_rss_mb": round(rss_mb, 1),
        "goals": {"metrics_p99_under_50ms": p99 < GOAL_P99_S, "cycle_under_5s": cycle < GOAL_CYCLE_S},
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"containers served by the twin:        {listed} (stats latency {args.stats_latency:g} s)")
        p50, p99_ms = result["metrics_p50_ms"], result["metrics_p99_ms"]
        print(f"llmon /metrics latency p50 / p99:     {p50} ms / {p99_ms} ms")
        print(f"llmon full collection cycle:          {result['llmon_cycle_s']} s")
        print(f"naive sequential docker-SDK loop:     {result['naive_loop_s']} s")
        print(f"ratio naive / llmon cycle:            {result['naive_over_llmon']}x")
        print(f"llmon exporter RSS:                   {result['exporter_rss_mb']} MiB")
        for goal, ok in result["goals"].items():
            print(f"goal {goal}: {'PASS' if ok else 'FAIL'}")
    return 0 if all(result["goals"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
