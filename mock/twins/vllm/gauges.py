"""The scheduler gauges (running, waiting, KV-cache usage) at a moment, with a little deterministic jitter.

Running requests follow Little's law (arrival rate x time in the engine), capped by ``max_num_seqs``;
the waiting queue and the KV usage are the scenario's levels. Jitter comes from a hash of (deployment,
10-second bucket), never from a global RNG, so two twins agree and tests can predict the range.
"""

from __future__ import annotations

import math
import zlib

from mock.twins.vllm.live import LiveBook
from mock.twins.vllm.traffic import GENERATION_TOKENS, Load
from mock.twins.vllm.world import Engine

JITTER = 0.04
BUCKET_S = 10.0


def jitter(deployment: str, stream: str, tau: float) -> float:
    """A value in [0, 1) fixed for each 10-second bucket."""
    key = f"{deployment}/{stream}/{math.floor(tau / BUCKET_S)}".encode()
    return zlib.crc32(key) / 2**32


def scheduler_gauges(engine: Engine, load: Load, tau: float, live: LiveBook) -> tuple[float, float, float]:
    requests = engine.calm_requests_per_s * load.traffic * (1 - load.error_ratio)
    seconds_in_engine = load.ttft_median + (GENERATION_TOKENS - 1) * load.itl_median
    spread = 1.0 + JITTER * (2.0 * jitter(engine.deployment, "running", tau) - 1.0)
    running = min(engine.max_num_seqs, round(requests * seconds_in_engine * spread) + live.in_flight)
    waiting = math.floor(load.waiting * spread + jitter(engine.deployment, "waiting", tau))
    headroom = min(load.kv_cache_usage, 1.0 - load.kv_cache_usage)
    kv = load.kv_cache_usage + headroom * JITTER * (2.0 * jitter(engine.deployment, "kv", tau) - 1.0)
    return float(running), float(waiting), round(min(max(kv, 0.0), 1.0), 6)
