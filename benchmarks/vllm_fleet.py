"""Cost of llmon's vLLM exporter over a fleet of engines: concurrent vs sequential cycle, scrape p99, RSS.

50 engines (``--engines``) are started as one vLLM twin process (``llmon-mock twin vllm --engines N
--deployments none --listen 127.0.0.1:0 --targets-file T``), or with ``--engines-from fixtures`` as one
helper process serving the recorded V1 page (tests/fixtures/vllm/v1-0.11.0.txt) on N free ports. Then:

1. in this process, the exporter's engines source runs complete cycles over the file_sd list, once with
   ``--vllm.concurrency`` workers and once with one (sequential), in the same run: median cycle times
   and their ratio;
2. the real ``llmon-vllm-exporter`` process polls the fleet in the background and its /metrics is
   scraped ``--scrapes`` times (p50/p99), then its RSS is read.

Goals: a concurrent cycle under 1 s for 50 engines; /metrics p99 under 50 ms.

    .venv/bin/python benchmarks/vllm_fleet.py [--engines 50] [--cycles 5] [--scrapes 200]
        [--engines-from twin|fixtures] [--json]

Exit status: 0 when the goals hold, 1 when one fails, 2 when the engines or the exporter will not start.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporters.vllm.engine import EnginePoller  # noqa: E402
from exporters.vllm.file_sd import FileDiscovery  # noqa: E402
from exporters.vllm.fleet import EnginesSource  # noqa: E402
from exporters.vllm.targets import TargetRegistry  # noqa: E402

PAGE = ROOT / "tests" / "fixtures" / "vllm" / "v1-0.11.0.txt"
CYCLE_GOAL_S = 1.0
SCRAPE_P99_GOAL_S = 0.050
START_WAIT_S = 60.0


def serve_fixtures(count: int, targets_file: Path) -> None:
    """Child mode: N engines answering the recorded page, /health, /version and /v1/models."""
    page = PAGE.read_bytes()
    models = json.dumps(
        {
            "object": "list",
            "data": [
                {
                    "id": "Qwen/Qwen2.5-7B-Instruct",
                    "object": "model",
                    "root": "Qwen/Qwen2.5-7B-Instruct",
                    "parent": None,
                    "max_model_len": 32768,
                }
            ],
        }
    ).encode()
    answers = {"/metrics": page, "/health": b"", "/version": b'{"version": "0.11.0"}', "/v1/models": models}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            return

        def do_GET(self) -> None:
            body = answers.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(count)]
    groups = [
        {"targets": [f"127.0.0.1:{s.server_port}"], "labels": {"deployment": f"bench-vllm-{i:03d}"}}
        for i, s in enumerate(servers)
    ]
    partial = targets_file.with_suffix(".tmp")
    partial.write_text(json.dumps(groups))
    partial.replace(targets_file)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


@contextmanager
def process(argv: list[str], ready: callable, what: str) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + START_WAIT_S
        while not ready():
            if child.poll() is not None or time.monotonic() > deadline:
                error = (
                    child.stderr.read().decode(errors="replace")[-400:] if child.poll() is not None else ""
                )
                raise SystemExit(f"vllm_fleet: error: {what} did not start {error}".rstrip())
            time.sleep(0.1)
        yield child
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def cycle_times(targets_file: Path, concurrency: int, cycles: int) -> list[float]:
    registry = TargetRegistry()
    list(FileDiscovery([targets_file], registry).collect())
    client = httpx.Client(timeout=2.0, limits=httpx.Limits(max_connections=concurrency * 2))
    source = EnginesSource(registry, EnginePoller(client, 2.0), concurrency)
    times = []
    try:
        list(source.collect())  # warm-up: connections, identity calls
        for _ in range(cycles):
            started = time.perf_counter()
            families = list(source.collect())
            times.append(time.perf_counter() - started)
        up = [s.value for f in families if f.name == "llmon_vllm_up" for s in f.samples]
        if len(up) != len(registry.targets()) or not all(up):
            raise SystemExit(
                f"vllm_fleet: error: only {sum(up):g} of {len(registry.targets())} engines are up"
            )
    finally:
        source.close()
        client.close()
    return times


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def exporter_figures(targets_file: Path, engines: int, scrapes: int, concurrency: int) -> dict[str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        sys.executable,
        "-m",
        "exporters.vllm",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--vllm.file-sd={targets_file}",
        "--no-models.metadata",
        "--collect.interval=2s",
        f"--vllm.concurrency={concurrency}",
    ]

    def ready() -> bool:
        try:
            text = httpx.get(url + "/metrics", timeout=2).text
        except httpx.HTTPError:
            return False
        return text.count("llmon_vllm_up{") == engines and "vllm:kv_cache_usage_perc{" in text

    with process(argv, ready, "the exporter") as child, httpx.Client() as client:
        durations = []
        size = 0
        for _ in range(scrapes):
            started = time.perf_counter()
            response = client.get(url + "/metrics")
            durations.append(time.perf_counter() - started)
            size = len(response.content)
        rss = psutil.Process(child.pid).memory_info().rss
    durations.sort()
    return {
        "scrape_p50_s": statistics.median(durations),
        "scrape_p99_s": durations[min(len(durations) - 1, int(len(durations) * 0.99))],
        "metrics_bytes": float(size),
        "rss_mib": rss / 2**20,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--engines-from", choices=("twin", "fixtures"), default="twin")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve-fixtures", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fixtures:
        serve_fixtures(args.engines, args.serve_fixtures)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        targets = Path(tmp) / "targets.json"
        if args.engines_from == "twin":
            db = Path(tmp) / "mock.db"
            subprocess.run(
                [sys.executable, "-m", "mock.cli", "seed", "--seed", "42", "--out", str(db)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            argv = [
                sys.executable,
                "-m",
                "mock.cli",
                "twin",
                "vllm",
                "--db",
                str(db),
                "--deployments",
                "none",
                "--engines",
                str(args.engines),
                "--listen",
                "127.0.0.1:0",
                "--targets-file",
                str(targets),
            ]
        else:
            argv = [
                sys.executable,
                __file__,
                "--engines",
                str(args.engines),
                "--serve-fixtures",
                str(targets),
            ]
        with process(argv, targets.is_file, f"the {args.engines} engines ({args.engines_from})"):
            concurrent = cycle_times(targets, args.concurrency, args.cycles)
            sequential = cycle_times(targets, 1, max(2, args.cycles // 2))
            figures = exporter_figures(targets, args.engines, args.scrapes, args.concurrency)
    result = {
        "engines": args.engines,
        "engines_from": args.engines_from,
        "cycle_concurrent_s": statistics.median(concurrent),
        "cycle_sequential_s": statistics.median(sequential),
        **figures,
    }
    result["speed_up"] = result["cycle_sequential_s"] / result["cycle_concurrent_s"]
    ok = result["cycle_concurrent_s"] < CYCLE_GOAL_S and result["scrape_p99_s"] < SCRAPE_P99_GOAL_S
    result["goals_met"] = ok
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:22} {value:.4f}" if isinstance(value, float) else f"{key:22} {value}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
