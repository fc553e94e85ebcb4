"""Options of llmon-vllm-exporter: where the engines are, how hard to poll them, model metadata.

Engines come from any mix of ``--vllm.target`` (repeatable, ``URL`` or ``DEPLOYMENT=URL``),
``--vllm.file-sd`` files (Prometheus file_sd JSON or YAML, re-read whenever they change) and
``--vllm.docker`` (containers from vLLM images or labelled ``llmon.vllm=true``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, model_validator

from exporters.base import ExporterSettings
from exporters.base.settings import Duration, flag
from exporters.vllm.targets import parse_static


def _valid_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


def _valid_targets(values: list[str]) -> list[str]:
    for value in values:
        parse_static(value)  # raises ValueError with the reason
    return values


class VllmSettings(ExporterSettings):
    """Options of llmon-vllm-exporter on top of the common ones."""

    targets: Annotated[list[str], AfterValidator(_valid_targets)] = Field(
        [],
        description="A vLLM engine: its base URL, or DEPLOYMENT=URL to name it.",
        json_schema_extra=flag("vllm.target"),
    )
    file_sd: list[Path] = Field(
        [],
        description="A Prometheus file_sd file (JSON or YAML) listing engines; re-read when it changes.",
        json_schema_extra=flag("vllm.file-sd"),
    )
    docker: bool = Field(
        False,
        description="Discover engines among Docker containers (vLLM images or label llmon.vllm=true).",
        json_schema_extra=flag("vllm.docker"),
    )
    docker_host: str | None = Field(
        None,
        description="Docker daemon address, e.g. tcp://127.0.0.1:2375 (default: $DOCKER_HOST or the socket).",
        json_schema_extra=flag("vllm.docker.host"),
    )
    docker_image: Annotated[str, AfterValidator(_valid_regex)] = Field(
        r"(^|/)vllm[^/:@]*(:|@|$)",
        description="Containers whose image repository matches this regular expression are engines.",
        json_schema_extra=flag("vllm.docker.image"),
    )
    docker_address: str | None = Field(
        None,
        description="Host for published container ports (default: the TCP daemon host, else 127.0.0.1).",
        json_schema_extra=flag("vllm.docker.address"),
    )
    request_timeout: Duration = Field(
        2.0,
        description="Longest one HTTP call to an engine may take.",
        json_schema_extra=flag("vllm.timeout"),
    )
    concurrency: Annotated[int, Field(ge=1, le=512)] = Field(
        16,
        description="Engines polled at the same time (1 polls them one after the other).",
        json_schema_extra=flag("vllm.concurrency"),
    )
    metadata: bool = Field(
        True,
        description="Look up each served model's Hugging Face metadata (local cache first).",
        json_schema_extra=flag("models.metadata"),
    )
    offline: bool = Field(
        False,
        description="Never ask the Hub, only read the local cache (HF_HUB_OFFLINE=1 does the same).",
        json_schema_extra=flag("models.offline"),
    )
    hub_endpoint: str | None = Field(
        None,
        description="Hugging Face Hub URL (default: $HF_ENDPOINT, else https://huggingface.co).",
        json_schema_extra=flag("models.hub-endpoint"),
    )
    hub_cache: Path | None = Field(
        None,
        description="Hugging Face cache directory (default: $HF_HUB_CACHE, else ~/.cache/huggingface/hub).",
        json_schema_extra=flag("models.cache-dir"),
    )
    hub_token: SecretStr | None = Field(
        None,
        description="Hugging Face token for gated models; prefer --models.token-file (default: $HF_TOKEN).",
        json_schema_extra=flag("models.token"),
    )
    metadata_refresh: Duration = Field(
        86400.0,
        description="How long found model metadata is kept before it is looked up again.",
        json_schema_extra=flag("models.refresh-interval"),
    )

    @model_validator(mode="after")
    def _timeout_within_collect_timeout(self) -> VllmSettings:
        if self.request_timeout >= self.collect_timeout:
            raise ValueError(
                f"--vllm.timeout: {self.request_timeout:g}s must be shorter than --collect.timeout "
                f"({self.collect_timeout:g}s)"
            )
        return self
