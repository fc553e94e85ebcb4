"""The ``containers:`` section of a scenario phase: what the Docker containers do over time.

A phase may say how busy the containers are and which of them fail::

    containers:
      load: 2.2                 # activity of every container relative to calm (CPU, network, block I/O)
      incidents:
        - match: "^vllm-"       # regular expression on the container name (re.search)
          kind: oom             # oom: memory climbs to the limit, the kernel kills it (exit 137)
                                # crash: the process exits with exit_code (a crash loop when repeated)
          after: 90             # seconds after the phase start of the first kill
          period: 120           # optional: the kill repeats every period seconds while the phase lasts
          down: 15              # seconds the container stays "restarting" before Docker starts it again
          exit_code: 1          # crash only (an OOM kill always exits 137)
          first_only: true      # only the first matching container by name (default), else every one

``load`` ramps like the host targets (phase ``ramp``) and is inherited by later phases; incidents belong
to the phase that lists them and stop when it ends.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# Activity of the containers before any scenario, and what a phase inherits when none set it.
CALM_CONTAINER_LOAD = 1.0


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ContainerIncident(_Strict):
    """Containers matching ``match`` are killed at ``after`` (then every ``period``) seconds of the phase."""

    match: Annotated[str, AfterValidator(_regex)]
    kind: Literal["oom", "crash"]
    after: Annotated[float, Field(ge=0.0)] = 0.0
    period: Annotated[float, Field(gt=0.0)] | None = None
    down: Annotated[float, Field(gt=0.0)] = 10.0
    exit_code: Annotated[int, Field(ge=1, le=255)] = 1
    first_only: bool = True

    @model_validator(mode="after")
    def _restarts_before_next_kill(self) -> ContainerIncident:
        if self.period is not None and self.down >= self.period:
            raise ValueError("down: the container must be running again before the next kill (down < period)")
        return self

    @property
    def code(self) -> int:
        """The exit code Docker reports: 137 (SIGKILL) for the OOM killer."""
        return 137 if self.kind == "oom" else self.exit_code


class ContainerTargets(_Strict):
    load: Annotated[float, Field(ge=0.0, le=20.0)] | None = None
    incidents: list[ContainerIncident] = []
