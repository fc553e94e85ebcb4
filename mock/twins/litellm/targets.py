"""What a scenario phase can set for the LiteLLM gateway (the ``litellm:`` block of a phase).

    litellm:
      traffic: 1.0                          # multiplier of every key's seeded request rate
      failing_providers: {anthropic: 0.95}  # failure ratio of that provider's deployments
      budget_burn: {research: 400}          # multiplier of one team's traffic (by team alias)
      admin_rpm: 4                          # admin API requests per minute before 429 + Retry-After
      db: connected                         # or "disconnected": readiness 503, admin routes 500

A phase without a ``litellm:`` block keeps the previous phase's block (the first phase: these defaults),
so a scenario that is only about the host leaves the gateway calm. Values are constant over a phase:
the twin integrates them exactly over scenario time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class LitellmTargets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    traffic: Annotated[float, Field(ge=0.0, le=1000.0)] = 1.0
    failing_providers: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = {}
    budget_burn: dict[str, Annotated[float, Field(ge=1.0, le=100000.0)]] = {}
    admin_rpm: Annotated[int, Field(ge=1)] | None = None
    db: Literal["connected", "disconnected"] = "connected"


CALM_GATEWAY = LitellmTargets()
