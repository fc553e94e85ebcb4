"""Reading the operator's files (config, secrets, web config) with errors that fit on one line."""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError


def read_text(path: str | Path, option: str) -> str:
    """The file's text; a failure names the option and the file, never anything from inside it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(option, f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(option, f"{path} is not UTF-8 text") from None
