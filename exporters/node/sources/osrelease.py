"""os-release(5): the distribution's identity, `KEY=value` lines with shell-style quoting.

Looked up under --path.rootfs at /etc/os-release, then /usr/lib/os-release (the spec's order).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from exporters.base import CollectError
from exporters.node.sources.files import HostPaths, read_error, read_file

CANDIDATES = ("/etc/os-release", "/usr/lib/os-release")
_MAJOR_MINOR = re.compile(r"^[0-9]+\.?[0-9]*")
# Values shlex would return unchanged: no blank, quote or backslash; or one quoted string without any.
_BARE_WORD = re.compile(r"[^ \t\r\n\"'\\]*")
_SIMPLE_QUOTED = re.compile(r"\"([^\"\\]*)\"|'([^'\\]*)'")


@dataclass(frozen=True)
class OsRelease:
    fields: dict[str, str]

    def get(self, key: str) -> str:
        return self.fields.get(key, "")

    @property
    def major_minor(self) -> float | None:
        """VERSION_ID's leading `major.minor` as a number (22.04 -> 22.04, 12 -> 12), if it has one."""
        match = _MAJOR_MINOR.match(self.get("VERSION_ID"))
        return float(match.group(0).rstrip(".")) if match else None


def read_os_release(paths: HostPaths) -> OsRelease:
    for candidate in CANDIDATES:
        path = paths.root(candidate)
        try:
            text = read_file(path)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            raise read_error(path, exc) from None
        return parse_os_release(text)
    tried = " or ".join(str(paths.root(candidate)) for candidate in CANDIDATES)
    raise CollectError("io", f"neither {tried} exists.")


def parse_os_release(text: str) -> OsRelease:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or key.startswith("#") or not key.isidentifier():
            continue
        fields[key] = _unquote(value)
    return OsRelease(fields)


def _unquote(value: str) -> str:
    """The value as a shell would read it, words joined by one space.

    Nearly every os-release value is a bare word or one quoted string without escapes; those are
    answered directly, since shlex costs a tokenizer object and a character-by-character loop.
    """
    if _BARE_WORD.fullmatch(value):
        return value
    quoted = _SIMPLE_QUOTED.fullmatch(value)
    if quoted:
        return quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
    try:
        words = shlex.split(value)
    except ValueError:  # unbalanced quote: keep what is there rather than drop the field
        return value.strip("'\"")
    return " ".join(words)
