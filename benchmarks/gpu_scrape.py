"""Collection cost of llmon's GPU exporter for 8 mocked H100s, against the fork-per-scrape design.

No GPU is lent here, so the exporter runs on the NVML stand-in (mock/twins/gpu) with its state cache
held for the whole run: each NVML call then costs a Python attribute lookup and a few operations, which
is the same order as a real NVML call for the fields read here (driver calls of microseconds; PCIe
throughput, which blocks ~20 ms per call, stays off as in the default configuration). What is measured
is therefore llmon's own cost per scrape: enumerating, reading ~100 fields per GPU through the access
layer, and building the metric families, rendered to the text format as a scrape would.

Peers, measured in the same run and the same process:
- ``fork``: the floor of nvidia-smi-based exporters (nvidia_gpu_exporter's default mode runs
  ``nvidia-smi --query-gpu=...`` once per scrape): spawning one process per scrape, here ``python -c
  pass`` which does nothing, so the real nvidia-smi (which also initialises NVML and formats CSV) can
  only cost more. CPU is counted for the child too (RUSAGE_CHILDREN).
- ``dcgm``: the same llmon scrape with ``--compat=dcgm``, i.e. what the compatibility names add.

    .venv/bin/python benchmarks/gpu_scrape.py [--scrapes 200] [--warmup 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from prometheus_client.exposition import generate_latest

from exporters.gpu.config import GpuSettings
from exporters.gpu.sources import build_source
from mock.seed.generate import build_seed
from mock.twins.gpu.nvml import StandInNvml

SEED = 42


@dataclass
class Result:
    name: str
    scrapes: int
    p50_ms: float
    p99_ms: float
    cpu_ms_per_scrape: float
    samples: int


class _Families:
    def __init__(self, collect: Callable[[], list]) -> None:
        self._collect = collect

    def collect(self) -> list:
        return self._collect()


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(name: str, scrape: Callable[[], int], scrapes: int, warmup: int) -> Result:
    for _ in range(warmup):
        scrape()
    latencies = []
    samples = 0
    cpu_start = _cpu_seconds()
    for _ in range(scrapes):
        started = time.perf_counter()
        samples = scrape()
        latencies.append(time.perf_counter() - started)
    cpu = _cpu_seconds() - cpu_start
    latencies.sort()
    return Result(
        name=name,
        scrapes=scrapes,
        p50_ms=1000 * statistics.median(latencies),
        p99_ms=1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        cpu_ms_per_scrape=1000 * cpu / scrapes,
        samples=samples,
    )


def llmon_scrape(db: Path, compat: str) -> Callable[[], int]:
    settings = GpuSettings(gpu_backend="mock", gpu_mock_db=db, compat=compat, compat_dcgm_hostname="bench",
                           collector_xid=False, collector_workloads=False)  # fmt: skip
    source = build_source(settings, StandInNvml(db, cache_s=3600.0))

    def scrape() -> int:
        text = generate_latest(_Families(lambda: list(source.collect())))
        return text.count(b"\n") - text.count(b"\n#")

    return scrape


def fork_scrape() -> int:
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "mock.db"
        build_seed(SEED, db)  # the first seeded host: 8 x H100 80GB, one split into MIG instances
        results = [
            measure("llmon", llmon_scrape(db, "none"), args.scrapes, args.warmup),
            measure("llmon --compat=dcgm", llmon_scrape(db, "dcgm"), args.scrapes, args.warmup),
            measure("fork per scrape (floor of nvidia-smi)", fork_scrape, max(20, args.scrapes // 4), 3),
        ]
    llmon, dcgm, fork = results
    ratios = {
        "fork_cpu_over_llmon_cpu": fork.cpu_ms_per_scrape / llmon.cpu_ms_per_scrape,
        "fork_p50_over_llmon_p50": fork.p50_ms / llmon.p50_ms,
        "dcgm_cpu_over_llmon_cpu": dcgm.cpu_ms_per_scrape / llmon.cpu_ms_per_scrape,
    }
    if args.json:
        print(json.dumps({"results": [asdict(r) for r in results], "ratios": ratios}, indent=2))
        return 0
    print(f"{'scrape':40} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms':>8} {'samples':>8}")
    for r in results:
        print(f"{r.name:40} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.cpu_ms_per_scrape:8.2f} {r.samples:8d}")
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
