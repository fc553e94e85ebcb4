"""The command line, generated from the settings model so every exporter gets the same conventions."""

from __future__ import annotations

import argparse
from typing import NoReturn

from .errors import ConfigError
from .options import Option
from .spec import ExporterSpec


class _Parser(argparse.ArgumentParser):
    """argparse that raises ConfigError instead of printing usage, so run() reports one line."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(None, message)


def _help(option: Option, extra: str = "") -> str:
    return f"{option.help}{extra} [env {option.env}]"


def _add_option(parser: argparse.ArgumentParser, option: Option) -> None:
    """One option's flags; SUPPRESS defaults so only what was typed overrides YAML and env."""
    common = {"dest": option.field, "default": argparse.SUPPRESS}
    if option.kind == "bool":
        parser.add_argument(option.cli, action=argparse.BooleanOptionalAction, help=_help(option), **common)
    elif option.kind == "list":
        parser.add_argument(
            option.cli, action="append", metavar="VALUE", help=_help(option, " (repeatable)"), **common
        )
    else:
        parser.add_argument(option.cli, metavar=option.metavar, help=_help(option), **common)
    if option.kind == "secret":
        parser.add_argument(
            f"--{option.file_flag}",
            dest=f"{option.field}__file",
            default=argparse.SUPPRESS,
            metavar="FILE",
            help=f"File holding the value of {option.cli} [env {option.file_env}]",
        )


def build_parser(spec: ExporterSpec, options: list[Option]) -> argparse.ArgumentParser:
    """Prometheus-style flags (``--web.listen-address``) plus ``--config.file`` and ``--check-config``."""
    parser = _Parser(prog=spec.program, description=spec.description, allow_abbrev=False)
    parser.add_argument(
        "--config.file",
        dest="config_file",
        metavar="FILE",
        help=f"YAML file with options keyed by flag name [env {spec.env_prefix}CONFIG_FILE]",
    )
    parser.add_argument(
        "--check-config", action="store_true", help="Validate the configuration, print the result and exit."
    )
    parser.add_argument("--version", action="version", version=f"{spec.program} {spec.version}")
    for option in options:
        _add_option(parser, option)
    return parser
