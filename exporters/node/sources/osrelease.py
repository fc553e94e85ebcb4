"""os-release(5): the distribution's identity, `KEY=value` lines with shell-style quoting.

Looked up under --path.rootfs at /etc/os-release, then /usr/lib/os-release (the spec's order).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from exporters.base import CollectError
from exporters.node.sources.files import HostPaths, read_text

CANDIDATES = ("/etc/os-release", "/usr/lib/os-release")
_MAJOR_MINOR = re.compile(r"^[0-9]+\.?[0-9]*")


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
        if path.exists():
            return parse_os_release(read_text(path))
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
    try:
        words = shlex.split(value)
    except ValueError:  # unbalanced quote: keep what is there rather than drop the field
        return value.strip("'\"")
    return " ".join(words)
