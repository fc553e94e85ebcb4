"""One description per settings field: its flag, YAML key, environment variable and how to parse it.

Flags, the YAML file and the environment all name an option the same way (its flag name), so this
is the single place that derives those names from the pydantic model.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Literal, Union, get_args, get_origin

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from .settings import ExporterSettings

Kind = Literal["bool", "secret", "list", "value"]
_LIST_TYPES = (list, tuple, set, frozenset)


@dataclass(frozen=True)
class Option:
    """How the operator sets one settings field."""

    field: str
    flag: str
    kind: Kind
    env: str
    help: str
    metavar: str = "VALUE"

    @property
    def cli(self) -> str:
        """The flag as typed, which is also how error lines name the option."""
        return f"--{self.flag}"

    @property
    def file_flag(self) -> str:
        """YAML key and flag (without dashes) naming a file that holds a secret's value."""
        return f"{self.flag}-file"

    @property
    def file_env(self) -> str:
        """Environment variable naming a file that holds a secret's value."""
        return f"{self.env}_FILE"


def env_name(prefix: str, flag: str) -> str:
    """LLMON_<EXPORTER>_ plus the flag upper-cased with '.' and '-' turned into '_'."""
    return prefix + flag.upper().replace(".", "_").replace("-", "_")


def _without_none(annotation: object) -> object:
    """``X | None`` counts as X: None only means "not set"."""
    if get_origin(annotation) in (Union, types.UnionType):
        inner = [arg for arg in get_args(annotation) if arg is not type(None)]
        return inner[0] if len(inner) == 1 else annotation
    return annotation


def _kind(annotation: object) -> Kind:
    annotation = _without_none(annotation)
    if annotation is bool:
        return "bool"
    if annotation is SecretStr:
        return "secret"
    if annotation in _LIST_TYPES or get_origin(annotation) in _LIST_TYPES:
        return "list"
    return "value"


def _metavar(annotation: object) -> str:
    """The choices of a Literal field, as argparse shows choices; VALUE otherwise."""
    annotation = _without_none(annotation)
    if get_origin(annotation) is Literal:
        return "{" + ",".join(map(str, get_args(annotation))) + "}"
    return "VALUE"


def _help(info: FieldInfo, kind: Kind) -> str:
    """The field's description plus its default, except for secrets and defaults that mean "unset"."""
    default = info.get_default(call_default_factory=True)
    if kind == "secret" or default is None or default == "" or (kind == "list" and not default):
        return info.description or ""
    shown = str(default).lower() if isinstance(default, bool) else default
    return f"{info.description or ''} (default: {shown})"


def _flag_of(name: str, info: FieldInfo, model: type[ExporterSettings]) -> str:
    extra = info.json_schema_extra
    if not isinstance(extra, dict) or not isinstance(extra.get("flag"), str):
        raise TypeError(f"{model.__name__}.{name} needs json_schema_extra={{'flag': ...}} to name its flag")
    return extra["flag"]


def options_of(model: type[ExporterSettings], env_prefix: str) -> list[Option]:
    """Every field of the settings model as an Option, in declaration order."""
    options = []
    for name, info in model.model_fields.items():
        flag, kind = _flag_of(name, info, model), _kind(info.annotation)
        options.append(
            Option(
                field=name,
                flag=flag,
                kind=kind,
                env=env_name(env_prefix, flag),
                help=_help(info, kind),
                metavar=_metavar(info.annotation),
            )
        )
    return options
