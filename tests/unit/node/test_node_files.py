"""The cheap file readers give what pathlib would, and the shortcuts taken around shlex and sysfs hold."""

from __future__ import annotations

import itertools
import shlex
import shutil
from pathlib import Path

import pytest
from node_fixtures import fixture_dir

from exporters.node.sources.files import HostPaths, read_attributes, read_file
from exporters.node.sources.netdev import read_netclass
from exporters.node.sources.osrelease import parse_os_release


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"one line\n",
        b"no newline at the end",
        b"windows\r\nline ends\r\nand a lone\rreturn\r",
        b"invalid utf-8: \xff\xfe and a split sequence \xe2\x82",
        "ünïcødé ✓\n".encode(),
        b"x" * 200_000 + b"\n",  # more than one read() call
    ],
    ids=["empty", "line", "no-newline", "crlf", "invalid-utf8", "unicode", "large"],
)
def test_read_file_gives_what_path_read_text_gives(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "file"
    path.write_bytes(content)
    assert read_file(path) == path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize(
    ("make", "error"),
    [(None, FileNotFoundError), ("directory", IsADirectoryError)],
)
def test_read_file_raises_the_os_error(tmp_path: Path, make: str | None, error: type[OSError]) -> None:
    path = tmp_path / "target"
    if make == "directory":
        path.mkdir()
    with pytest.raises(error):
        read_file(path)


def test_read_attributes_reads_stripped_values_and_none_for_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "mtu").write_text("1500\n")
    (tmp_path / "ifalias").write_text("")
    (tmp_path / "speed").mkdir()  # a read that fails, as sysfs refuses the speed of a link that is down
    assert read_attributes(tmp_path, ["mtu", "ifalias", "speed", "absent"]) == {
        "mtu": "1500",
        "ifalias": "",
        "speed": None,
        "absent": None,
    }


def test_read_attributes_of_something_that_is_not_a_directory_is_none(tmp_path: Path) -> None:
    (tmp_path / "bonding_masters").write_text("bond0\n")
    assert read_attributes(tmp_path / "bonding_masters", ["mtu"]) is None
    assert read_attributes(tmp_path / "absent", ["mtu"]) is None


def test_plain_files_in_class_net_are_not_interfaces(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(fixture_dir("linux-6.18-vm"), tree, symlinks=True)
    paths = HostPaths(tree / "proc", tree / "sys", tree / "rootfs")
    before = read_netclass(paths)
    (tree / "sys/class/net/bonding_masters").write_text("bond0\n")  # what the bonding driver adds
    assert read_netclass(paths) == before
    assert before, "the fixture has interfaces"


def shell_value(value: str) -> str:
    """What the os-release reader returned before its shortcut: shlex's words joined by a space."""
    try:
        return " ".join(shlex.split(value))
    except ValueError:
        return value.strip("'\"")


def test_os_release_values_read_as_shlex_reads_them() -> None:
    """Every string of up to four characters from an alphabet of the characters that matter."""
    alphabet = ["a", " ", "\t", '"', "'", "\\", "$", "#", "é"]
    values = ["".join(chars) for length in range(5) for chars in itertools.product(alphabet, repeat=length)]
    for value in values:
        line = f"KEY={value}"
        expected = shell_value(line.strip().partition("=")[2])  # the reader strips whole lines
        assert parse_os_release(f"{line}\n").get("KEY") == expected, repr(value)
