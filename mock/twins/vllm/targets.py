"""What a scenario phase can set for the vLLM engines (the ``vllm:`` block of a phase).

    vllm:
      match: "^vllm-llama$"          # regular expression on the deployment name (default: every engine)
      traffic: 1.0                   # multiplier of each engine's seeded request rate
      ttft: {median: 0.14, p95: 0.38}      # time to first token, seconds (log-normal)
      itl: {median: 0.028, p95: 0.045}     # inter-token latency, seconds (log-normal)
      kv_cache_usage: 0.42           # KV-cache blocks in use, 0..1
      waiting: 0.4                   # requests queued (mean; the gauge is an integer)
      preemptions_per_min: 0         # requests preempted per minute
      error_ratio: 0.0               # share of completion requests answered 500
      prefix_hit_ratio: 0.35         # share of prompt tokens found in the prefix cache

A block names only what changes: the fields it sets override the previous phase's values (the first
phase starts from ``CALM_ENGINE``), and a phase without a block keeps the previous one. Engines whose
deployment does not match ``match`` stay calm. Values move linearly to the new ones over the phase's
``ramp`` like the host targets.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Seconds = Annotated[float, Field(gt=0.0, le=600.0)]
Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Latency(_Strict):
    """A log-normal latency given by two quantiles, so scenarios speak in the numbers SLOs use."""

    median: Seconds
    p95: Seconds

    @model_validator(mode="after")
    def _p95_above_median(self) -> Latency:
        if self.p95 <= self.median:
            raise ValueError("p95 must be greater than median")
        return self


class VllmTargets(_Strict):
    match: Annotated[str, AfterValidator(_regex)] = ".*"
    traffic: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    ttft: Latency = Latency(median=0.14, p95=0.38)
    itl: Latency = Latency(median=0.028, p95=0.045)
    kv_cache_usage: Ratio = 0.42
    waiting: Annotated[float, Field(ge=0.0, le=10000.0)] = 0.4
    preemptions_per_min: Annotated[float, Field(ge=0.0, le=10000.0)] = 0.0
    error_ratio: Ratio = 0.0
    prefix_hit_ratio: Ratio = 0.35

    def merged(self, change: VllmTargets) -> VllmTargets:
        """These targets with the fields ``change`` sets explicitly replaced."""
        return self.model_copy(update={name: getattr(change, name) for name in change.model_fields_set})


CALM_ENGINE = VllmTargets()
