"""Poll cost of llmon's Langfuse exporter against a Langfuse with little and with a lot of history.

The Langfuse twin generates its history on the fly (it stores none), so the same seed database serves
a project whose weeks of history hold about ten thousand traces and one holding about a million; live
traffic after the clock origin is the same in both. For each history, in one run:

1. in this process, the exporter's own sources (``build_sources``) run a baseline poll and then
   complete cycles, the mock clock moving one minute between cycles; an httpx response hook counts the
   API calls and answer bytes of each cycle, and each cycle is timed;
2. the real ``llmon-langfuse-exporter`` process polls the twin for a few seconds and its RSS is read.

The design goal is that a poll reads its time window only (watermark minus overlap to now), never the
history: calls per cycle equal for both histories, bytes and cycle time within noise (ratios at most
``MAX_BYTES_RATIO`` and ``MAX_TIME_RATIO``), RSS within ``MAX_RSS_RATIO``. It also reports the
metrics-API calls a day that the default configuration makes (the goal: within Cloud Hobby's 100).

    .venv/bin/python benchmarks/langfuse_history.py [--cycles 5] [--json FILE]

Exit status: 0 when the goals hold, 1 when one fails, 2 when the twin or the exporter will not start.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import httpx
import psutil

from exporters.langfuse.config import HOBBY_METRICS_CALLS_PER_DAY, LangfuseSettings
from exporters.langfuse.sources import build_sources
from mock.db import open_db, update_clock
from mock.seed.generate import build_seed
from mock.twins.langfuse.server import Keys, LangfuseTwin

SEED = 42
HISTORIES = {"10k": 10_000, "1M": 1_000_000}
KEYS = Keys(public="pk-lf-benchmark-public", secret="sk-lf-benchmark-secret")
ORIGIN = 1_790_000_000.0
STEP_S = 60.0
MAX_TIME_RATIO = 1.5
#: Live traffic has the same rate and shape in both, but the twin derives ids and attributes from each
#: trace's global index (which the history shifts), so answers differ by a few percent in size.
MAX_BYTES_RATIO = 1.1
MAX_RSS_RATIO = 1.2
EXPORTER_SECONDS = 6.0
START_TIMEOUT_S = 60.0


@dataclass
class Result:
    history: str
    traces: int
    baseline_calls: int = 0
    calls_per_cycle: list[int] = field(default_factory=list)
    bytes_per_cycle: list[int] = field(default_factory=list)
    cycle_s: list[float] = field(default_factory=list)
    exporter_rss_mb: float = 0.0

    @property
    def median_s(self) -> float:
        return statistics.median(self.cycle_s)


class Meter:
    """Counts the calls and answer bytes an httpx client sees (a response event hook)."""

    def __init__(self) -> None:
        self.calls = 0
        self.bytes = 0

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.calls += 1
        self.bytes += len(response.content)


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def set_clock(db: Path, t: float) -> None:
    with open_db(db) as conn:
        update_clock(
            conn,
            lambda s: replace(
                s, scenario="normal", paused=True, started_at=None, offset_s=t, origin_wall=ORIGIN
            ),
        )


def measure_cycles(db: Path, url: str, cycles: int, result: Result) -> None:
    """Baseline, then ``cycles`` measured polls. The baseline is taken two overlaps after the origin, so
    every window read lies in live traffic (the same for both histories): a window reaching back before
    the origin would read history, whose density is exactly what differs between the two."""
    settings = LangfuseSettings(langfuse_url=url, public_key=KEYS.public, secret_key=KEYS.secret)
    start = 2 * settings.overlap
    meter, clock = Meter(), ManualClock()
    with httpx.Client(base_url=url, timeout=30, event_hooks={"response": [meter]}) as http:
        sources = build_sources(settings, http, clock=clock)
        for cycle in range(cycles + 1):
            set_clock(db, start + cycle * STEP_S)
            clock.now = start + cycle * STEP_S
            calls, size, started = meter.calls, meter.bytes, time.perf_counter()
            for source in sources:
                list(source.collect())
            elapsed = time.perf_counter() - started
            if cycle == 0:
                result.baseline_calls = meter.calls - calls
            else:
                result.calls_per_cycle.append(meter.calls - calls)
                result.bytes_per_cycle.append(meter.bytes - size)
                result.cycle_s.append(elapsed)


def exporter_rss(url: str, workdir: Path) -> float:
    """RSS (MB) of the real exporter process after it has polled the twin for a few seconds."""
    (workdir / "pk").write_text(KEYS.public)
    (workdir / "sk").write_text(KEYS.secret)
    argv = [
        sys.executable, "-m", "exporters.langfuse", "--web.listen-address=127.0.0.1:0",
        f"--langfuse.url={url}", f"--public-key-file={workdir / 'pk'}", f"--secret-key-file={workdir / 'sk'}",
        "--collect.interval=1",
    ]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(EXPORTER_SECONDS)
        if process.poll() is not None:
            raise SystemExit(f"langfuse_history: error: the exporter exited with status {process.returncode}")
        return psutil.Process(process.pid).memory_info().rss / 2**20
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="llmon-langfuse-bench-") as tmp:
        db = Path(tmp) / "mock.db"
        build_seed(SEED, db)
        for name, traces in HISTORIES.items():
            result = Result(name, traces)
            with LangfuseTwin(db, KEYS, port=0, api_version="v4", history_traces=traces) as twin:
                measure_cycles(db, twin.url, args.cycles, result)
                result.exporter_rss_mb = exporter_rss(twin.url, Path(tmp))
            results.append(result)
    small, large = results
    defaults = LangfuseSettings(public_key="pk-lf-x", secret_key="sk-lf-x")
    checks = {
        "calls per cycle equal": small.calls_per_cycle == large.calls_per_cycle,
        f"bytes per cycle ratio <= {MAX_BYTES_RATIO}": sum(large.bytes_per_cycle) / sum(small.bytes_per_cycle)
        <= MAX_BYTES_RATIO,
        f"cycle time ratio <= {MAX_TIME_RATIO}": large.median_s / small.median_s <= MAX_TIME_RATIO,
        f"RSS ratio <= {MAX_RSS_RATIO}": large.exporter_rss_mb / small.exporter_rss_mb <= MAX_RSS_RATIO,
        f"default metrics calls a day <= {HOBBY_METRICS_CALLS_PER_DAY}": defaults.metrics_calls_per_day()
        <= HOBBY_METRICS_CALLS_PER_DAY,
    }
    for result in results:
        print(
            f"{result.history:>4} history ({result.traces} traces): baseline {result.baseline_calls} calls; "
            f"per cycle calls {result.calls_per_cycle}, bytes {result.bytes_per_cycle}, "
            f"median {result.median_s * 1000:.1f} ms; exporter RSS {result.exporter_rss_mb:.1f} MB"
        )
    print(
        f"time ratio 1M/10k {large.median_s / small.median_s:.2f}; "
        f"RSS ratio {large.exporter_rss_mb / small.exporter_rss_mb:.2f}; "
        f"default metrics-API calls a day {defaults.metrics_calls_per_day():.0f}"
    )
    for check, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {check}")
    if args.json:
        args.json.write_text(
            json.dumps({"results": [asdict(r) for r in results], "checks": checks}, indent=2)
        )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
