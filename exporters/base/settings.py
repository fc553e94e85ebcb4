"""ExporterSettings: the options every llmon exporter has, validated by pydantic."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object) -> object:
    """Accept Prometheus-style durations ("15s", "1m30s", "500ms") besides plain seconds.

    Operators write durations that way in every other Prometheus component's flags and YAML; anything
    that is not such a string is left for pydantic's own number validation to judge.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text and not _DURATION_PART.sub("", text):
        return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(text))
    return value


def _check_listen_address(value: str | None) -> str | None:
    """Require host:port (host may be empty or a bracketed IPv6 address) with a port in 0..65535."""
    if value is None:
        return value
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdecimal() or int(port) > 65535:
        raise ValueError(f"expected host:port with a port number from 0 to 65535, got {value!r}")
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        raise ValueError(f"write an IPv6 address in brackets, as in [::1]:{port}")
    return value


#: Seconds, from a number or a duration string; must be positive.
Duration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]


def flag(name: str) -> dict[str, str]:
    """The ``json_schema_extra`` that names a field's command-line flag (also its YAML key and env var)."""
    return {"flag": name}


class ExporterSettings(BaseModel):
    """Options shared by every exporter; each exporter subclasses this with its own fields.

    Every field names its flag in ``json_schema_extra={"flag": ...}``; the flag name is also the key in
    the YAML config file and, upper-cased, the environment variable.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    web_listen_address: Annotated[str | None, AfterValidator(_check_listen_address)] = Field(
        None,
        description="Address to listen on for HTTP requests (default 127.0.0.1:<the exporter's port>).",
        json_schema_extra=flag("web.listen-address"),
    )
    web_config_file: Path | None = Field(
        None,
        description="Path to a web config file (exporter-toolkit format) enabling TLS and basic auth.",
        json_schema_extra=flag("web.config.file"),
    )
    log_level: Literal["debug", "info", "warn", "error"] = Field(
        "info",
        description="Only log messages with this severity or above.",
        json_schema_extra=flag("log.level"),
    )
    log_format: Literal["logfmt", "json"] = Field(
        "logfmt", description="Output format of log messages.", json_schema_extra=flag("log.format")
    )
    collect_interval: Duration = Field(
        15.0,
        description="How often background sources are collected (seconds or a duration like 30s).",
        json_schema_extra=flag("collect.interval"),
    )
    collect_timeout: Duration = Field(
        10.0,
        description="Longest one background collection may take before it counts as a timeout.",
        json_schema_extra=flag("collect.timeout"),
    )
