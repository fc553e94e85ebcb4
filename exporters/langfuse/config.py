"""Options of llmon-langfuse-exporter: where Langfuse is, the project's key pair, polling and caps.

Both keys are SecretStr: give them as files (``--public-key-file`` / ``LLMON_LANGFUSE_PUBLIC_KEY_FILE``,
``--secret-key-file`` / ``LLMON_LANGFUSE_SECRET_KEY_FILE``) or in the environment; a plain flag works
but shows in ``ps``. The defaults keep a Cloud Hobby project within its budgets: object reads every
``--collect.interval`` (two calls a cycle on the ``public-api`` resources) and at most
``86400 / --metrics.interval`` metrics-API calls a day (48 by default, the budget being 100).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator

from exporters.base import ExporterSettings
from exporters.base.settings import Duration, flag, parse_duration

Cap = Annotated[int, Field(ge=1, le=100_000)]
#: Seconds (or a duration string) that may be 0.
Span = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]
#: The metrics-API budget of Langfuse Cloud's Hobby plan (per day, per metrics resource).
HOBBY_METRICS_CALLS_PER_DAY = 100


class LangfuseSettings(ExporterSettings):
    """Options of llmon-langfuse-exporter on top of the common ones."""

    langfuse_url: str = Field(
        "http://127.0.0.1:3000",
        description="Base URL of Langfuse (Cloud: https://cloud.langfuse.com or a regional host).",
        json_schema_extra=flag("langfuse.url"),
    )
    public_key: SecretStr | None = Field(
        None,
        description="Project public key (pk-lf-...); prefer --public-key-file.",
        json_schema_extra=flag("public-key"),
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Project secret key (sk-lf-...); prefer --secret-key-file.",
        json_schema_extra=flag("secret-key"),
    )
    api: Literal["auto", "v4", "v3", "v2"] = Field(
        "auto",
        description="Read surface: auto detects it from the version and 404s (v4, then v3, then v2).",
        json_schema_extra=flag("langfuse.api"),
    )
    overlap: Duration = Field(
        120.0,
        description="How far back each poll re-reads, so events ingested late are still counted once.",
        json_schema_extra=flag("poll.overlap"),
    )
    max_window: Duration = Field(
        3600.0,
        description="Most event time one poll reads; a catch-up after downtime advances by this much.",
        json_schema_extra=flag("poll.max-window"),
    )
    initial_lookback: Span = Field(
        0.0,
        description="On a first start (no state yet), also count this much history; needs --state.file.",
        json_schema_extra=flag("poll.initial-lookback"),
    )
    metrics_interval: Duration = Field(
        1800.0,
        description="How often the metrics API is asked for late arrivals (one call each; 1800 = 48/day).",
        json_schema_extra=flag("metrics.interval"),
    )
    reconcile: bool = Field(
        True,
        description="Use the metrics API (v4 and v3) to count observations ingested after the overlap.",
        json_schema_extra=flag("metrics.reconcile"),
    )
    state_file: Path | None = Field(
        None,
        description="JSON file keeping watermarks and totals, so a restart neither loses nor repeats counts.",
        json_schema_extra=flag("state.file"),
    )
    max_models: Cap = Field(
        200, description="Most models given their own label value.", json_schema_extra=flag("limit.models")
    )
    max_environments: Cap = Field(
        20,
        description="Most environments given their own label value.",
        json_schema_extra=flag("limit.environments"),
    )
    max_score_names: Cap = Field(
        100,
        description="Most score names given their own label value.",
        json_schema_extra=flag("limit.score-names"),
    )
    max_categories: Cap = Field(
        200,
        description="Most categorical score values given their own label value.",
        json_schema_extra=flag("limit.score-categories"),
    )

    @field_validator("langfuse_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or len(value) < 10:
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _keys_and_budget(self) -> LangfuseSettings:
        for option, value in (("public-key", self.public_key), ("secret-key", self.secret_key)):
            if value is None or not value.get_secret_value().strip():
                env = f"LLMON_LANGFUSE_{option.upper().replace('-', '_')}_FILE"
                raise ValueError(f"--{option}: required (give --{option}-file or {env})")
        if self.overlap >= self.max_window:
            raise ValueError("--poll.overlap: must be shorter than --poll.max-window")
        if self.initial_lookback and self.state_file is None:
            raise ValueError(
                "--poll.initial-lookback: needs --state.file (a restart without one would count it again)"
            )
        return self

    def metrics_calls_per_day(self) -> float:
        """The most metrics-API calls this configuration makes in a day (one per interval)."""
        return 86400.0 / self.metrics_interval if self.reconcile else 0.0
