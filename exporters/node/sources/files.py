"""Where the host's pseudo-filesystems live and how to read them so that a failure is reportable.

Every reader in this package goes through these helpers, so an unreadable or garbled file always
becomes a `CollectError` with reason "io" or "malformed" and one sentence naming the file, instead of
an exception that would be counted as "internal" and hide which file was at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from exporters.base import CollectError


@dataclass(frozen=True)
class HostPaths:
    """The three roots the exporter reads: a container or a twin points them at another tree."""

    procfs: Path
    sysfs: Path
    rootfs: Path

    def proc(self, *parts: str) -> Path:
        return self.procfs.joinpath(*parts)

    def sys(self, *parts: str) -> Path:
        return self.sysfs.joinpath(*parts)

    def root(self, absolute: str) -> Path:
        """Map a path as the host sees it (`/etc/os-release`, a mount point) into the rootfs tree."""
        return self.rootfs / absolute.lstrip("/")


def read_text(path: Path) -> str:
    """Read a whole file; any OS error becomes a CollectError("io") naming the file."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise read_error(path, exc) from None


def read_error(path: Path, exc: OSError) -> CollectError:
    """The CollectError("io") for a file that could not be read, for readers that look at errno first."""
    if isinstance(exc, FileNotFoundError):
        return CollectError("io", f"{path} does not exist.")
    return CollectError("io", f"cannot read {path}: {describe_os_error(exc)}.")


def list_directory(path: Path) -> list[Path]:
    """Entries of a directory sorted by name; a directory that exists but cannot be listed is "io"."""
    try:
        return sorted(path.iterdir(), key=lambda entry: entry.name)
    except OSError as exc:
        raise CollectError("io", f"cannot list {path}: {describe_os_error(exc)}.") from None


def read_optional(path: Path) -> str | None:
    """Read a single-value attribute that may legitimately be absent or refuse reads.

    sysfs answers EINVAL for the speed of a link that is down, EACCES for root-only attributes such as
    cpuinfo_cur_freq and EIO/ENODATA for sensors with nothing attached; those mean "no value", not a
    broken collector.
    """
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def malformed(path: Path, problem: str) -> CollectError:
    """A CollectError("malformed") whose message names the file and what was wrong in it."""
    return CollectError("malformed", f"{path}: {problem}.")


def parse_int(token: str, path: Path, what: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise malformed(path, f"{what} is {token!r}, not an integer") from None


def parse_float(token: str, path: Path, what: str) -> float:
    try:
        return float(token)
    except ValueError:
        raise malformed(path, f"{what} is {token!r}, not a number") from None


def describe_os_error(exc: OSError) -> str:
    """Lower-case error text like node_exporter's (Go's syscall errors read "permission denied")."""
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]
