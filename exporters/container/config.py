"""The container exporter's options: where the daemon is, how hard to poll it, which containers count."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from exporters.base import ExporterSettings
from exporters.base.settings import Duration, flag

LABEL_NAME = re.compile(r"^[A-Za-z0-9_.\-/]+$")


def _valid_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


def _label_selectors(values: list[str]) -> list[str]:
    for value in values:
        key = value.partition("=")[0]
        if not key or not LABEL_NAME.match(key):
            raise ValueError(f"expected a label name or name=value, got {value!r}")
    return values


Regex = Annotated[str, AfterValidator(_valid_regex)]
Selectors = Annotated[list[str], AfterValidator(_label_selectors)]


class ContainerSettings(ExporterSettings):
    """Options of llmon-container-exporter on top of the common ones.

    The daemon address defaults to the environment the docker CLI reads (DOCKER_HOST, DOCKER_TLS_VERIFY,
    DOCKER_CERT_PATH), so the exporter finds the same daemon `docker ps` does.
    """

    docker_host: str | None = Field(
        None,
        description="Docker daemon address, e.g. tcp://host:2376 (default: $DOCKER_HOST, else the socket).",
        json_schema_extra=flag("docker.host"),
    )
    docker_timeout: Duration = Field(
        5.0, description="Longest one Docker API call may take.", json_schema_extra=flag("docker.timeout")
    )
    stats_workers: Annotated[int, Field(ge=1, le=256)] = Field(
        16, description="Concurrent stats requests per collection.", json_schema_extra=flag("stats.workers")
    )
    stats_deadline: Duration = Field(
        8.0,
        description="Longest a collection waits for all stats; late ones count as timeouts.",
        json_schema_extra=flag("stats.deadline"),
    )
    stats_one_shot: bool = Field(
        True,
        description="Ask for one-shot stats (API >= 1.41) instead of the daemon's two-sample wait (~1-2 s).",
        json_schema_extra=flag("stats.one-shot"),
    )
    containers_include: Regex = Field(
        "", description="Only containers whose name matches this regular expression.",
        json_schema_extra=flag("containers.include"),
    )  # fmt: skip
    containers_exclude: Regex = Field(
        "", description="Skip containers whose name matches this regular expression.",
        json_schema_extra=flag("containers.exclude"),
    )  # fmt: skip
    containers_label_include: Selectors = Field(
        [], description="Only containers with every one of these labels (name or name=value).",
        json_schema_extra=flag("containers.label-include"),
    )  # fmt: skip
    containers_label_exclude: Selectors = Field(
        [], description="Skip containers with any of these labels (name or name=value).",
        json_schema_extra=flag("containers.label-exclude"),
    )  # fmt: skip
    containers_max: Annotated[int, Field(ge=1, le=100_000)] = Field(
        500, description="Most containers exported; the rest are counted in llmon_container_dropped_total.",
        json_schema_extra=flag("containers.max"),
    )  # fmt: skip
    container_labels: Selectors = Field(
        [], description="Container labels copied onto llmon_container_info as label_<name>.",
        json_schema_extra=flag("container.labels"),
    )  # fmt: skip
    events: bool = Field(
        True, description="Watch the Docker event stream for restarts, deaths, OOM kills and health changes.",
        json_schema_extra=flag("events"),
    )  # fmt: skip
    events_idle_timeout: Duration = Field(
        60.0, description="Reconnect the event stream after this long without an event.",
        json_schema_extra=flag("events.idle-timeout"),
    )  # fmt: skip

    @model_validator(mode="after")
    def _deadline_within_timeout(self) -> ContainerSettings:
        if self.stats_deadline >= self.collect_timeout:
            raise ValueError(
                f"stats.deadline ({self.stats_deadline:g}s) must be shorter than collect.timeout "
                f"({self.collect_timeout:g}s)"
            )
        return self
