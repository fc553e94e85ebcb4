"""An engine's traffic as a pure function of (engine, scenarios played, tau): counters and histograms.

Each scenario becomes a list of steps of constant load (a phase's ramp is cut into ``RAMP_STEP_S``
slices, each at its mid-point value), so every counter is an exact sum of rate x duration and never
decreases as tau grows; before tau 0 the engine ran calm. A histogram's bucket count is the sum over
steps of (observations per second x seconds x the step's log-normal CDF at ``le``), floored, so buckets,
``_count`` and ``_sum`` agree with the quantiles the scenario asked for. Counters only cover the window
since the engine last became ready: a restarted vLLM starts from zero.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from mock.scenario import Scenario
from mock.twins.vllm.targets import CALM_ENGINE, VllmTargets
from mock.twins.vllm.world import GENERATION_TOKENS, MAX_TOKENS_PARAM, PROMPT_TOKENS, Engine

RAMP_STEP_S = 5.0
LOOKAHEAD_S = 3600.0  # how far past "now" the current scenario's steps are laid out
Z95 = 1.6448536269514722  # standard normal quantile of 0.95
FINISH_SHARES = {"stop": 0.86, "length": 0.13, "abort": 0.01}
CHAT_SHARE = 0.7  # of completion requests, the share sent to /v1/chat/completions
MODELS_POLL_PER_S = 0.1  # GET /v1/models from the gateway's health checks
REQUEST_BYTES_PER_PROMPT_TOKEN = 4.2
RESPONSE_BYTES_PER_TOKEN = 5.5
LENGTH_SIGMA = 0.45  # spread of per-request durations that scale with the completion length


@dataclass(frozen=True)
class Load:
    """The numeric targets of one engine at one moment."""

    traffic: float
    ttft_median: float
    ttft_p95: float
    itl_median: float
    itl_p95: float
    kv_cache_usage: float
    waiting: float
    preemptions_per_min: float
    error_ratio: float
    prefix_hit_ratio: float

    @classmethod
    def of(cls, targets: VllmTargets) -> Load:
        return cls(
            targets.traffic, targets.ttft.median, targets.ttft.p95, targets.itl.median, targets.itl.p95,
            targets.kv_cache_usage, targets.waiting, targets.preemptions_per_min, targets.error_ratio,
            targets.prefix_hit_ratio,
        )  # fmt: skip

    def towards(self, other: Load, frac: float) -> Load:
        return Load(
            *(
                a + (b - a) * frac
                for a, b in ((getattr(self, f.name), getattr(other, f.name)) for f in fields(self))
            )
        )


CALM_LOAD = Load.of(CALM_ENGINE)


def lognormal(median: float, p95: float) -> tuple[float, float]:
    """(mu, sigma) of the log-normal with that median and 95th percentile."""
    return math.log(median), math.log(p95 / median) / Z95


def resolved_loads(scenario: Scenario, deployment: str) -> list[Load]:
    """Each phase's load for one deployment: blocks merge into the previous ones; non-matching stay calm."""
    current = CALM_ENGINE
    out = []
    for phase in scenario.phases:
        if phase.vllm is not None:
            current = current.merged(phase.vllm)
        out.append(Load.of(current) if re.search(current.match, deployment) else CALM_LOAD)
    return out


def scenario_steps(scenario: Scenario, deployment: str) -> list[tuple[float, float, Load]]:
    """(start, end, load) in the scenario's local time over one period (or to infinity)."""
    loads = resolved_loads(scenario, deployment)
    period = scenario.duration if scenario.loop else None
    ends = [p.start for p in scenario.phases[1:]] + [period if period else math.inf]
    previous = loads[-1] if period else CALM_LOAD
    steps: list[tuple[float, float, Load]] = []
    for phase, load, end in zip(scenario.phases, loads, ends, strict=True):
        slices = math.ceil(phase.ramp / RAMP_STEP_S) if previous != load else 0
        for k in range(slices):
            a = phase.start + phase.ramp * k / slices
            b = phase.start + phase.ramp * (k + 1) / slices
            steps.append((a, b, previous.towards(load, (k + 0.5) / slices)))
        start = phase.start + (phase.ramp if slices else 0.0)
        if end > start:
            steps.append((start, end, load))
        previous = load
    return steps


# --- what one step of constant load produces ------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    """Per-second rates of one step: counters, and observations with their distribution per source."""

    counters: dict[str, float]
    observations: dict[str, tuple[float, float, float]]  # source -> (per second, mu, sigma); sigma 0: point


def _e2e_seconds(load: Load) -> float:
    return load.ttft_median + (GENERATION_TOKENS - 1) * load.itl_median


def step_rates(engine: Engine, load: Load) -> Rates:
    requests = engine.calm_requests_per_s * load.traffic
    errors = requests * load.error_ratio
    ok = requests - errors
    prompt, generation = ok * PROMPT_TOKENS, ok * GENERATION_TOKENS
    counters = {
        "requests": requests,
        "errors": errors,
        **{reason: ok * share for reason, share in FINISH_SHARES.items()},
        "prompt_tokens": prompt,
        "generation_tokens": generation,
        "preemptions": load.preemptions_per_min / 60.0,
        "prefix_queries": prompt,
        "prefix_hits": prompt * load.prefix_hit_ratio,
        "models_requests": MODELS_POLL_PER_S,
        "request_bytes": requests * PROMPT_TOKENS * REQUEST_BYTES_PER_PROMPT_TOKEN,
        "response_bytes": ok * GENERATION_TOKENS * RESPONSE_BYTES_PER_TOKEN,
    }
    ttft_mu, ttft_sigma = lognormal(load.ttft_median, load.ttft_p95)
    itl_mu, itl_sigma = lognormal(load.itl_median, load.itl_p95)
    queue = 0.1 * load.ttft_median + load.waiting / max(requests, 0.05)
    decode = (GENERATION_TOKENS - 1) * load.itl_median
    steps_per_s = 1.0 / load.itl_median if ok > 0 else 0.0
    tokens_per_step = (prompt + generation) / steps_per_s if steps_per_s else 1.0
    observations = {
        "ttft": (ok, ttft_mu, ttft_sigma),
        "itl": (ok * (GENERATION_TOKENS - 1), itl_mu, itl_sigma),
        "e2e": (ok, math.log(_e2e_seconds(load) + queue), LENGTH_SIGMA),
        "queue": (ok, math.log(queue), 0.9),
        "prefill": (ok, math.log(0.7 * load.ttft_median), ttft_sigma),
        "decode": (ok, math.log(decode), LENGTH_SIGMA),
        "inference": (ok, math.log(0.7 * load.ttft_median + decode), LENGTH_SIGMA),
        "prompt_tokens": (ok, math.log(0.8 * PROMPT_TOKENS), 0.7),
        "generation_tokens": (ok, math.log(0.85 * GENERATION_TOKENS), 0.6),
        "max_tokens": (ok, math.log(MAX_TOKENS_PARAM), 0.0),
        "n": (ok, 0.0, 0.0),
        "iteration_tokens": (steps_per_s, math.log(max(tokens_per_step, 1.0)), 0.8),
        "http_completions": (requests, math.log(_e2e_seconds(load) + queue), LENGTH_SIGMA),
        "http_models": (MODELS_POLL_PER_S, math.log(0.0021), 0.3),
    }
    return Rates(counters, observations)


def _cdf(le: float, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """P(X <= le) of each step's log-normal (a point mass at exp(mu) where sigma is 0)."""
    if math.isinf(le):
        return np.ones_like(mu)
    log_le = math.log(le) if le > 0 else -math.inf
    out = np.where(mu <= log_le + 1e-12, 1.0, 0.0)
    spread = sigma > 0
    if spread.any():
        z = (log_le - mu[spread]) / (sigma[spread] * math.sqrt(2.0))
        out[spread] = 0.5 * (1.0 + np.array([math.erf(v) for v in z]))
    return out


@dataclass(frozen=True)
class HistogramTotals:
    buckets: tuple[float, ...]  # cumulative counts per upper bound (the last is +Inf)
    count: float
    total: float  # _sum


# --- the timeline of one engine -------------------------------------------------------------------


class EngineTimeline:
    """Steps of every scenario played (and the calm past) laid end to end in tau, for one engine."""

    def __init__(self, engine: Engine, parts: Sequence[tuple[Scenario, float]]) -> None:
        self.engine = engine
        starts: list[float] = [-math.inf]
        ends: list[float] = [0.0]
        loads: list[Load] = [CALM_LOAD]
        offset = 0.0
        for index, (scenario, duration) in enumerate(parts):
            last = index == len(parts) - 1
            span = duration + LOOKAHEAD_S if last else duration
            local = scenario_steps(scenario, engine.deployment)
            period = scenario.duration if scenario.loop else None
            cycles = math.ceil(span / period) if period else 1
            for cycle in range(cycles):
                shift = offset + cycle * (period or 0.0)
                for a, b, load in local:
                    lo, hi = shift + a, min(shift + b, offset + span)
                    if hi > lo:
                        starts.append(lo)
                        ends.append(hi)
                        loads.append(load)
            offset += duration
        self.tau = offset
        self.horizon = offset + LOOKAHEAD_S
        self.starts, self.ends, self.loads = np.array(starts), np.array(ends), loads
        rates = [step_rates(engine, load) for load in loads]
        self.counter_names = list(rates[0].counters)
        self.counter_rates = np.array([[r.counters[n] for n in self.counter_names] for r in rates])
        self.sources = list(rates[0].observations)
        self.observation = {
            name: tuple(np.array([r.observations[name][i] for r in rates]) for i in range(3))
            for name in self.sources
        }
        self._cdfs: dict[tuple[str, float], np.ndarray] = {}

    def load_at(self, tau: float) -> Load:
        index = int(np.searchsorted(self.starts, tau, side="right")) - 1
        return self.loads[max(index, 0)]

    def weights(self, a: float, b: float) -> np.ndarray:
        """Seconds each step overlaps the window [a, b] of tau."""
        return np.clip(np.minimum(self.ends, b) - np.maximum(self.starts, a), 0.0, None)

    def counters(self, weights: np.ndarray) -> dict[str, float]:
        return {
            name: float(value)
            for name, value in zip(self.counter_names, weights @ self.counter_rates, strict=True)
        }

    def histogram(self, source: str, bounds: Sequence[float], weights: np.ndarray) -> HistogramTotals:
        """Cumulative counts at each upper bound (``bounds`` ends with +Inf), the count and the sum."""
        per_s, mu, sigma = self.observation[source]
        seen = weights * per_s
        cumulative = []
        for le in bounds:
            key = (source, le)
            if key not in self._cdfs:
                self._cdfs[key] = _cdf(le, mu, sigma)
            cumulative.append(float(seen @ self._cdfs[key]))
        mean = np.exp(mu + sigma**2 / 2.0)
        return HistogramTotals(tuple(cumulative), cumulative[-1], float(seen @ mean))
