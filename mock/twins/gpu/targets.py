"""The ``gpu:`` section of a scenario phase (mock/scenario.py holds the rest of the format).

Levels are ramped like the host's (linearly over the phase's ``ramp``) and apply to every GPU of the
host, each adding its seeded offset; events happen once, at the phase's start, on one GPU::

    gpu:
      utilization: 0.95          # fraction of time a kernel runs
      memory_used_ratio: 0.9     # of each GPU's framebuffer
      temperature: 86            # core temperature, celsius
      power_ratio: 0.9           # draw / default power limit
      power_limit_ratio: 0.7     # enforced limit / default (power capping); draw is kept under it
      clock_ratio: 0.6           # SM clock / max clock
      xid: [{gpu: 1, code: 48}]  # XID events raised at the phase start
      lost: [1]                  # GPUs that fall off the bus at the phase start (GpuIsLost)
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]

#: The GPUs before any scenario (and what a phase inherits for what no earlier phase set).
GPU_CALM: dict[str, float] = {
    "utilization": 0.35,
    "memory_used_ratio": 0.82,  # vLLM pre-allocates its KV cache
    "temperature": 48.0,
    "power_ratio": 0.35,
    "power_limit_ratio": 1.0,
    "clock_ratio": 0.93,
}
GPU_CHANNELS: tuple[str, ...] = tuple(GPU_CALM)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class XidEvent(_Strict):
    gpu: Annotated[int, Field(ge=0)]
    code: Annotated[int, Field(ge=1, le=1023)]


class GpuTargets(_Strict):
    utilization: Ratio | None = None
    memory_used_ratio: Annotated[float, Field(ge=0.0, le=0.995)] | None = None
    temperature: Annotated[float, Field(ge=20.0, le=110.0)] | None = None
    power_ratio: Ratio | None = None
    power_limit_ratio: Annotated[float, Field(ge=0.2, le=1.0)] | None = None
    clock_ratio: Annotated[float, Field(ge=0.1, le=1.0)] | None = None
    xid: list[XidEvent] = []
    lost: list[Annotated[int, Field(ge=0)]] = []

    def levels(self) -> dict[str, float]:
        """The channels this phase sets explicitly."""
        return {name: float(value) for name in GPU_CHANNELS if (value := getattr(self, name)) is not None}
