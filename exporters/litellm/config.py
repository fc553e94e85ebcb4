"""Options of llmon-litellm-exporter: where the proxy is, its master key, and the cardinality caps.

The master key is a SecretStr: ``--litellm.master-key-file`` / ``LLMON_LITELLM_MASTER_KEY_FILE`` (or the
value itself in ``LLMON_LITELLM_MASTER_KEY``; a plain flag works but shows in ``ps``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator

from exporters.base import ExporterSettings
from exporters.base.settings import flag

Cap = Annotated[int, Field(ge=1, le=100_000)]


class LitellmSettings(ExporterSettings):
    """Options of llmon-litellm-exporter on top of the common ones."""

    litellm_url: str = Field(
        "http://127.0.0.1:4000",
        description="Base URL of the LiteLLM proxy.",
        json_schema_extra=flag("litellm.url"),
    )
    master_key: SecretStr | None = Field(
        None,
        description="LiteLLM master key (admin API access); prefer --master-key-file.",
        json_schema_extra=flag("master-key"),
    )
    state_file: Path | None = Field(
        None,
        description="File keeping the usage counters across restarts (rewritten after every poll).",
        json_schema_extra=flag("state.file"),
    )
    scrape_metrics: bool = Field(
        False,
        description="Also scrape LiteLLM's /metrics and re-expose latency and deployment state.",
        json_schema_extra=flag("scrape-metrics"),
    )
    max_keys: Cap = Field(
        1000,
        description="Most virtual keys given their own label value.",
        json_schema_extra=flag("limit.keys"),
    )
    max_teams: Cap = Field(
        500, description="Most teams given their own label value.", json_schema_extra=flag("limit.teams")
    )
    max_models: Cap = Field(
        200,
        description="Most model groups given their own label value.",
        json_schema_extra=flag("limit.models"),
    )

    @field_validator("litellm_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or len(value) < 10:
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("state_file")
    @classmethod
    def _directory_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.parent.is_dir():
            raise ValueError(f"directory {value.parent} does not exist")
        return value

    @model_validator(mode="after")
    def _key_given(self) -> LitellmSettings:
        if self.master_key is None or not self.master_key.get_secret_value().strip():
            raise ValueError(
                "--master-key: required (give --master-key-file or LLMON_LITELLM_MASTER_KEY_FILE)"
            )
        return self
