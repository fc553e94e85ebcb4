"""What a scenario phase can set for the Langfuse-traced application (the ``langfuse:`` block).

    langfuse:
      traffic: 1.0                 # multiplier of the seeded trace rate
      models: {qwen2.5-7b: 1.0}    # main-generation model shares (normalised); empty = the seeded mix
      output_tokens: 1.0           # multiplier of completion length (cost per request)
      error_ratio: 0.01            # share of generations at level ERROR
      warning_ratio: 0.03          # share of generations at level WARNING
      scores: {helpfulness: 0.5}   # mean of a NUMERIC score, or true share of a BOOLEAN one
      ingestion_delay: 0           # seconds before an event becomes readable through the API
      down: false                  # health answers 503 and every API route 503

A phase without a ``langfuse:`` block keeps the previous phase's block (the first phase: these defaults),
so scenarios about other upstreams leave the application calm. Values are constant over a phase.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mock.twins.langfuse.catalog import BOOLEAN_SCORE, MODEL_NAMES, NUMERIC_SCORE

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


class LangfuseTargets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    traffic: Annotated[float, Field(ge=0.0, le=1000.0)] = 1.0
    models: dict[str, Annotated[float, Field(ge=0.0)]] = {}
    output_tokens: Annotated[float, Field(gt=0.0, le=100.0)] = 1.0
    error_ratio: Ratio = 0.01
    warning_ratio: Ratio = 0.03
    scores: dict[str, Ratio] = {}
    ingestion_delay: Annotated[float, Field(ge=0.0, le=86400.0)] = 0.0
    down: bool = False

    @field_validator("models")
    @classmethod
    def _known_models(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(MODEL_NAMES))
        if unknown:
            raise ValueError(f"unknown model {unknown[0]!r} (known: {', '.join(MODEL_NAMES)})")
        if value and sum(value.values()) <= 0:
            raise ValueError("at least one model needs a positive share")
        return value

    @field_validator("scores")
    @classmethod
    def _known_scores(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - {NUMERIC_SCORE, BOOLEAN_SCORE})
        if unknown:
            raise ValueError(f"unknown score {unknown[0]!r} (settable: {NUMERIC_SCORE}, {BOOLEAN_SCORE})")
        return value

    @model_validator(mode="after")
    def _levels_fit(self) -> LangfuseTargets:
        if self.error_ratio + self.warning_ratio > 1.0:
            raise ValueError("error_ratio plus warning_ratio must not exceed 1")
        return self


CALM_APPLICATION = LangfuseTargets()
