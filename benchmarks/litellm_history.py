"""Poll cost of llmon's LiteLLM exporter against a proxy with little and with a lot of spend history.

Two mock databases hold the same gateway (thousands of teams, users and virtual keys, the same models and
the same live traffic) and differ only in how many requests their weeks of history hold: about ten
thousand and about a million. The LiteLLM twin serves each in turn and the exporter polls it:

1. in this process, the exporter's own sources (``build_sources``) run complete cycles over an httpx
   client whose response hook counts the API calls and the bytes of every answer, and each cycle is
   timed; the first cycle also reads the 7-day spend baseline (once per proxy day) and is shown apart;
2. then the real ``llmon-litellm-exporter`` process polls the twin in the background for a few
   cycles, and its RSS and its own per-source collect durations are read.

The design goal is that a poll never pages through history (no /spend/logs): calls and bytes per cycle
must be equal for both histories, and cycle time within noise. Ratios are 1M-history over 10k-history.

    .venv/bin/python benchmarks/litellm_history.py [--keys 3000] [--teams 1000] [--cycles 5]
        [--scrape-metrics] [--json]

LiteLLM's own /metrics (``--scrape-metrics``) is left out by default: it is per key and per process,
not per day of history, and at thousands of keys it is tens of megabytes per poll on its own.

Exit status: 0 when the goals hold, 1 when one fails, 2 when the twin or the exporter will not start.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from exporters.litellm.config import LitellmSettings
from exporters.litellm.sources import build_sources
from mock.seed.generate import SeedRows, build_seed
from mock.seed.litellm import WEEKDAY_FACTORS, LitellmScale, fill_litellm

SEED = 42
HISTORY_DAYS = 28
HISTORIES = {"10k": 10_000, "1M": 1_000_000}
LITELLM_TABLES = (
    "litellm_key_traffic",
    "litellm_daily_spend",
    "litellm_keys",
    "litellm_users",
    "litellm_teams",
    "litellm_budgets",
    "litellm_models",
)
BIN = Path(sys.executable).parent
# Goals: the same calls and bytes per cycle; cycle time and RSS within noise of each other.
MAX_TIME_RATIO = 1.5
MAX_RSS_RATIO = 1.2
EXPORTER_CYCLES = 3
START_TIMEOUT_S = 120.0


@dataclass
class Result:
    """What one history measured."""

    history: str
    history_requests: int = 0
    history_rows: int = 0
    first_cycle_calls: int = 0
    first_cycle_bytes: int = 0
    first_cycle_s: float = 0.0
    calls_per_cycle: list[int] = field(default_factory=list)
    bytes_per_cycle: list[int] = field(default_factory=list)
    cycle_s: list[float] = field(default_factory=list)
    exporter_rss_mb: float = 0.0
    exporter_collect_s: dict[str, float] = field(default_factory=dict)

    @property
    def median_s(self) -> float:
        return statistics.median(self.cycle_s)


def fail(message: str, code: int = 2) -> SystemExit:
    print(f"litellm_history: error: {message}", file=sys.stderr)
    return SystemExit(code)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_database(path: Path, scale: LitellmScale) -> tuple[int, int]:
    """The default seed with its LiteLLM tables replaced by ``scale``'s; (history requests, rows)."""
    build_seed(SEED, path)
    rows = SeedRows()
    fill_litellm(rows, SEED, scale)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for table in LITELLM_TABLES:
            conn.execute(f"DELETE FROM {table}")
        for table, table_rows in rows.tables.items():
            columns = list(table_rows[0])
            placeholders = ", ".join("?" for _ in columns)
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
                [tuple(row[c] for c in columns) for row in table_rows],
            )
        conn.execute("COMMIT")
        query = "SELECT SUM(api_requests), COUNT(*) FROM litellm_daily_spend"
        requests, count = conn.execute(query).fetchone()
    finally:
        conn.close()
    return int(requests), int(count)


def wait_for(url: str, what: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise fail(f"{what} exited with status {process.returncode}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise fail(f"{what} did not answer {url} within {START_TIMEOUT_S:.0f} s")


@contextmanager
def running(argv: list[str], url: str, what: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(url, what, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Meter:
    """Counts the calls and answer bytes an httpx client sees (a response event hook)."""

    def __init__(self) -> None:
        self.calls = 0
        self.bytes = 0

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.calls += 1
        self.bytes += len(response.content)


def measure_cycles(settings: LitellmSettings, cycles: int, result: Result) -> None:
    """Complete cycles of every source in turn, as the background loop runs them."""
    meter = Meter()
    http = httpx.Client(
        base_url=settings.litellm_url, timeout=settings.collect_timeout, event_hooks={"response": [meter]}
    )
    with http:
        sources = build_sources(settings, http)
        for cycle in range(cycles + 1):
            calls, size, started = meter.calls, meter.bytes, time.perf_counter()
            for source in sources:
                list(source.collect())
            elapsed = time.perf_counter() - started
            if cycle == 0:
                result.first_cycle_calls, result.first_cycle_bytes = meter.calls - calls, meter.bytes - size
                result.first_cycle_s = elapsed
            else:
                result.calls_per_cycle.append(meter.calls - calls)
                result.bytes_per_cycle.append(meter.bytes - size)
                result.cycle_s.append(elapsed)


def last_success(text: str) -> dict[str, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        if family.name == "llmon_exporter_last_success_timestamp_seconds":
            found.update({s.labels["source"]: s.value for s in family.samples})
    return found


def measure_exporter(argv: list[str], url: str, sources: int, result: Result) -> None:
    """Let the real exporter run EXPORTER_CYCLES background cycles of each of its ``sources``; read its
    RSS and its collect durations. Allows each cycle twice what the in-process cycles took."""
    interval = 2 * max(result.cycle_s)
    with running(argv, url + "/readyz", "llmon-litellm-exporter") as process:
        deadline = time.monotonic() + START_TIMEOUT_S + EXPORTER_CYCLES * interval
        seen: dict[str, set[float]] = {}
        text = ""
        while time.monotonic() < deadline:
            text = httpx.get(url + "/metrics", timeout=10.0).text
            for source, at in last_success(text).items():
                seen.setdefault(source, set()).add(at)
            if len(seen) >= sources and all(len(times) > EXPORTER_CYCLES for times in seen.values()):
                break
            time.sleep(interval / 2)
        else:
            raise fail(f"the exporter did not complete {EXPORTER_CYCLES} cycles of every source")
        result.exporter_rss_mb = psutil.Process(process.pid).memory_info().rss / 2**20
        for family in text_string_to_metric_families(text):
            if family.name == "llmon_exporter_collect_duration_seconds":
                result.exporter_collect_s = {s.labels["source"]: s.value for s in family.samples}


def run_history(name: str, requests: int, args: argparse.Namespace, workdir: Path, key_file: Path) -> Result:
    scale = LitellmScale(
        teams=args.teams,
        keys=args.keys,
        users=args.keys // 2,
        history_days=HISTORY_DAYS,
        # The seed's rate is before its weekday factors; dividing by their mean makes the total come out.
        history_requests_per_day=requests / HISTORY_DAYS / statistics.mean(WEEKDAY_FACTORS),
    )
    result = Result(name)
    db = workdir / f"litellm-{name}.db"
    result.history_requests, result.history_rows = seed_database(db, scale)
    # A frozen clock: both histories are polled at the same moment of the proxy's day, and the twin
    # computes its state once instead of every second (which costs seconds with thousands of keys).
    subprocess.run(
        [str(BIN / "llmon-mock"), "clock", "pause", "--db", str(db)], check=True, capture_output=True
    )
    twin_port, exporter_port = free_port(), free_port()
    twin_url = f"http://127.0.0.1:{twin_port}"
    twin_argv = [
        str(BIN / "llmon-mock"), "twin", "litellm", "--db", str(db),
        "--listen", f"127.0.0.1:{twin_port}", "--master-key-file", str(key_file),
    ]  # fmt: skip
    limits = [f"--limit.keys={args.keys}", f"--limit.teams={args.teams}"]
    with running(twin_argv, twin_url + "/health/liveliness", "the LiteLLM twin"):
        settings = LitellmSettings(
            litellm_url=twin_url,
            master_key=SecretStr(key_file.read_text().strip()),
            scrape_metrics=args.scrape_metrics,
            max_keys=args.keys,
            max_teams=args.teams,
            collect_timeout=120.0,
        )
        measure_cycles(settings, args.cycles, result)
        exporter_argv = [
            str(BIN / "llmon-litellm-exporter"),
            f"--web.listen-address=127.0.0.1:{exporter_port}",
            f"--litellm.url={twin_url}",
            f"--master-key-file={key_file}",
            "--scrape-metrics" if args.scrape_metrics else "--no-scrape-metrics",
            f"--collect.interval={args.interval:g}",
            "--collect.timeout=120",
            *limits,
        ]
        sources = 4 if args.scrape_metrics else 3
        measure_exporter(exporter_argv, f"http://127.0.0.1:{exporter_port}", sources, result)
    return result


def report(results: list[Result]) -> bool:
    """Print the figures and the ratios; True when every goal holds."""
    print(f"{'history':>8} {'requests':>10} {'rows':>7} {'calls':>6} {'bytes':>10} {'cycle s':>8} "
          f"{'first calls':>11} {'first bytes':>11} {'first s':>8} {'RSS MB':>7}")  # fmt: skip
    for r in results:
        calls, size = statistics.median(r.calls_per_cycle), statistics.median(r.bytes_per_cycle)
        print(
            f"{r.history:>8} {r.history_requests:>10} {r.history_rows:>7} {calls:>6.0f} {size:>10.0f} "
            f"{r.median_s:>8.3f} {r.first_cycle_calls:>11} {r.first_cycle_bytes:>11} "
            f"{r.first_cycle_s:>8.3f} {r.exporter_rss_mb:>7.1f}"
        )
        durations = ", ".join(
            f"{name} {seconds:.3f}s" for name, seconds in sorted(r.exporter_collect_s.items())
        )
        print(f"{'':>8} exporter process, last collect per source: {durations}")
    small, large = results
    calls_equal = small.calls_per_cycle == large.calls_per_cycle
    bytes_ratio = statistics.median(large.bytes_per_cycle) / statistics.median(small.bytes_per_cycle)
    time_ratio = large.median_s / small.median_s
    rss_ratio = large.exporter_rss_mb / small.exporter_rss_mb
    history_ratio = large.history_requests / small.history_requests
    calls = "equal" if calls_equal else "DIFFER"
    print(
        f"ratio 1M/10k: history requests {history_ratio:.1f}x, calls {calls}, bytes {bytes_ratio:.3f}, "
        f"cycle time {time_ratio:.3f}, exporter RSS {rss_ratio:.3f}"
    )
    goals = {
        "calls per cycle equal": calls_equal,
        f"cycle time ratio <= {MAX_TIME_RATIO}": time_ratio <= MAX_TIME_RATIO,
        f"RSS ratio <= {MAX_RSS_RATIO}": rss_ratio <= MAX_RSS_RATIO,
    }
    for goal, held in goals.items():
        print(f"goal: {goal}: {'ok' if held else 'FAILED'}")
    return all(goals.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=3000, help="virtual keys in both worlds (default 3000)")
    parser.add_argument("--teams", type=int, default=1000, help="teams in both worlds (default 1000)")
    parser.add_argument("--cycles", type=int, default=5, help="timed cycles after the first (default 5)")
    parser.add_argument("--interval", type=float, default=2.0, help="exporter process --collect.interval")
    parser.add_argument(
        "--scrape-metrics",
        action="store_true",
        help="also poll LiteLLM's own /metrics (its size follows the key count, not the history)",
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    if args.keys < 10 or args.teams < 1 or args.cycles < 1 or args.interval <= 0:
        raise fail("--keys >= 10, --teams >= 1, --cycles >= 1 and --interval > 0 are required")
    with tempfile.TemporaryDirectory(prefix="llmon-litellm-bench-") as tmp:
        workdir = Path(tmp)
        key_file = workdir / "master-key"
        key_file.write_text(f"sk-{secrets.token_urlsafe(24)}\n")
        os.chmod(key_file, 0o600)
        results = [run_history(name, total, args, workdir, key_file) for name, total in HISTORIES.items()]
    held = report(results)
    if args.json:
        print(json.dumps([{**asdict(r), "median_cycle_s": r.median_s} for r in results], indent=2))
    return 0 if held else 1


if __name__ == "__main__":
    raise SystemExit(main())
