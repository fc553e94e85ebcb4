"""Where the host's pseudo-filesystems live and how to read them so that a failure is reportable.

Every reader in this package goes through these helpers, so an unreadable or garbled file always
becomes a `CollectError` with reason "io" or "malformed" and one sentence naming the file, instead of
an exception that would be counted as "internal" and hide which file was at fault.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from exporters.base import CollectError

#: Bytes asked of each read(); procfs and sysfs answer at most a page or so per call anyway.
_CHUNK_BYTES = 65536


@dataclass(frozen=True)
class HostPaths:
    """The three roots the exporter reads: a container or a twin points them at another tree."""

    procfs: Path
    sysfs: Path
    rootfs: Path

    def proc(self, *parts: str) -> Path:
        return _join(self.procfs, parts)

    def sys(self, *parts: str) -> Path:
        return _join(self.sysfs, parts)

    def root(self, absolute: str) -> Path:
        """Map a path as the host sees it (`/etc/os-release`, a mount point) into the rootfs tree."""
        return _join(self.rootfs, (absolute.lstrip("/"),))


@functools.lru_cache(maxsize=1024)
def _join(root: Path, parts: tuple[str, ...]) -> Path:
    """root/part/..., remembered: every scrape joins the same few dozen paths, and pathlib's parsing
    of each costs about as much as reading a small procfs file. Paths only, never what is in them."""
    return root.joinpath(*parts)


def read_file(path: Path | str, dir_fd: int | None = None) -> str:
    """A whole file as text, read with bare open/read/close system calls; raises OSError.

    Path.read_text() costs about four times as much on procfs and sysfs (two fstat, an ioctl and two
    lseek calls per file on top, and the buffered and text wrappers) and a scrape reads dozens of
    files. The text is what Path.read_text(encoding="utf-8", errors="replace") gives, universal
    newlines included.
    ``dir_fd`` reads `path` relative to an open directory (see read_attributes).
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        chunks = []
        while chunk := os.read(fd, _CHUNK_BYTES):  # a short read is not the end on procfs
            chunks.append(chunk)
    finally:
        os.close(fd)
    text = b"".join(chunks).decode("utf-8", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_text(path: Path) -> str:
    """Read a whole file; any OS error becomes a CollectError("io") naming the file."""
    try:
        return read_file(path)
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
        return read_file(path).strip()
    except OSError:
        return None


def read_attributes(directory: Path | str, names: Iterable[str]) -> dict[str, str | None] | None:
    """Several single-value attributes of one sysfs directory, each as read_optional() gives it.

    The directory is opened once and each file is opened relative to it, which spares the kernel
    the walk down the whole path for every attribute. None when `directory` is not a directory
    that can be opened (absent, or a plain file such as /sys/class/net/bonding_masters).
    """
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        values: dict[str, str | None] = {}
        for name in names:
            try:
                values[name] = read_file(name, dir_fd=dir_fd).strip()
            except OSError:
                values[name] = None
        return values
    finally:
        os.close(dir_fd)


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
