"""Settings from defaults < YAML file < environment < flags, validated by the exporter's pydantic model."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import ConfigError, validation_reason
from .files import read_text
from .flags import build_parser
from .options import Option, options_of
from .settings import ExporterSettings
from .spec import ExporterSpec


@dataclass(frozen=True)
class Given:
    """A value the operator set, and where (so an error line can point at the right place)."""

    value: Any
    origin: str


@dataclass(frozen=True)
class Invocation:
    """The outcome of the command line: validated settings, and whether only to check them."""

    settings: ExporterSettings
    check_only: bool


def read_secret_file(path: str | Path, origin: str) -> str:
    """A secret's value from a file, without the trailing newline editors and ``echo`` add."""
    return read_text(path, origin).rstrip("\r\n")


def _one_of(option: Option, direct: Given | None, from_file: Given | None) -> Given | None:
    """A secret set directly or through a file within the same layer; both at once is ambiguous."""
    if direct and from_file:
        raise ConfigError(option.cli, f"set either {direct.origin} or {from_file.origin}, not both")
    if from_file:
        return Given(read_secret_file(from_file.value, from_file.origin), from_file.origin)
    return direct


def _flag_layer(parsed: Mapping[str, Any], options: Sequence[Option]) -> dict[str, Given]:
    layer = {}
    for option in options:
        direct = Given(parsed[option.field], option.cli) if option.field in parsed else None
        file_key = f"{option.field}__file"
        from_file = Given(parsed[file_key], f"--{option.file_flag}") if file_key in parsed else None
        if given := _one_of(option, direct, from_file):
            layer[option.field] = given
    return layer


def _split_list(raw: str) -> list[str]:
    """List options in one environment variable are comma-separated."""
    return [item.strip() for item in raw.split(",") if item.strip()]


def _env_layer(environ: Mapping[str, str], options: Sequence[Option]) -> dict[str, Given]:
    """Variables that are unset or empty are ignored, so compose files can pass ``${VAR:-}`` through."""
    layer = {}
    for option in options:
        raw = environ.get(option.env)
        direct = Given(_split_list(raw) if option.kind == "list" else raw, option.env) if raw else None
        file_path = environ.get(option.file_env) if option.kind == "secret" else None
        from_file = Given(file_path, option.file_env) if file_path else None
        if given := _one_of(option, direct, from_file):
            layer[option.field] = given
    return layer


def _load_yaml(path: Path) -> dict[Any, Any]:
    """The file as a mapping; YAML errors report the position only, as the line may hold a secret."""
    try:
        document = yaml.safe_load(read_text(path, "--config.file"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError("--config.file", f"{path}: invalid YAML{where}: {problem}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError("--config.file", f"{path}: expected a mapping of option names to values")
    return document


def _yaml_layer(path: Path, options: Sequence[Option]) -> dict[str, Given]:
    """Flat keys named like the flags; secret files given as relative paths are relative to the file."""
    document = _load_yaml(path)
    by_key = {option.flag: option for option in options}
    by_file_key = {option.file_flag: option for option in options if option.kind == "secret"}
    for key in document:
        if key not in by_key and key not in by_file_key:
            close = difflib.get_close_matches(str(key), [*by_key, *by_file_key], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError("--config.file", f"{path}: unknown option {key!r}{hint}")
    layer = {}
    for option in options:
        direct = Given(document[option.flag], f"{option.flag} in {path}") if option.flag in document else None
        from_file = None
        if option.kind == "secret" and option.file_flag in document:
            from_file = Given(path.parent / str(document[option.file_flag]), f"{option.file_flag} in {path}")
        if given := _one_of(option, direct, from_file):
            layer[option.field] = given
    return layer


def _describe_error(error: Mapping[str, Any], given: Mapping[str, Given], options: Sequence[Option]) -> str:
    """One pydantic error as "--flag (from ORIGIN): reason", without the offending value."""
    reason = validation_reason(error)
    loc = error["loc"]
    if not loc:
        return reason
    by_field = {option.field: option for option in options}
    option = by_field.get(str(loc[0]))
    name = option.cli if option else str(loc[0])
    source = given.get(str(loc[0]))
    if source and source.origin != name:
        name += f" (from {source.origin})"
    name += "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc[1:])
    return f"{name}: {reason}"


def _validate(
    model: type[ExporterSettings], given: Mapping[str, Given], options: Sequence[Option]
) -> ExporterSettings:
    """Build the settings, turning every validation problem into one line that names its option."""
    try:
        return model.model_validate({field: item.value for field, item in given.items()})
    except ValidationError as exc:
        raise ConfigError(
            None, "; ".join(_describe_error(err, given, options) for err in exc.errors())
        ) from None


def load(spec: ExporterSpec, argv: Sequence[str], environ: Mapping[str, str]) -> Invocation:
    """Parse the command line, read the YAML file and environment, and validate the result.

    Raises ConfigError for anything unusable; argparse's own exits (--help, --version) pass through.
    """
    options = options_of(spec.settings_model, spec.env_prefix)
    parsed = vars(build_parser(spec, options).parse_args(list(argv)))
    given: dict[str, Given] = {}
    config_file = parsed.get("config_file") or environ.get(f"{spec.env_prefix}CONFIG_FILE")
    if config_file:
        given.update(_yaml_layer(Path(config_file), options))
    given.update(_env_layer(environ, options))
    given.update(_flag_layer(parsed, options))
    return Invocation(_validate(spec.settings_model, given, options), bool(parsed["check_config"]))
