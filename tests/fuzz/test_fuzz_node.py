"""The node exporter's procfs/sysfs parsers under hostile files (issue 10, item 1).

Each case corrupts one file of a real kernel's tree (tests/fixtures/node/linux-6.8-gpu-server) and
runs the collector that reads it through the exporter's collection path; see fuzzing.py for the
invariants. The collectors read files written by the kernel, but a container runtime, a FUSE mount
or a buggy driver can hand them anything, and one bad file must cost one collector, not the exporter.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fuzzing import FuzzRun
from hypothesis import given
from strategies import mutated_text

from exporters.node.collectors import build_sources
from exporters.node.config import COLLECTOR_NAMES, NodeSettings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "node" / "linux-6.8-gpu-server"

#: (collector, file it parses): every parser of the node exporter, each fed its own corrupted file.
CASES = [
    ("cpu", "proc/stat"),
    ("cpu", "proc/cpuinfo"),
    ("meminfo", "proc/meminfo"),
    ("loadavg", "proc/loadavg"),
    ("pressure", "proc/pressure/memory"),
    ("filesystem", "proc/1/mounts"),
    ("filesystem", "statvfs.json"),
    ("diskstats", "proc/diskstats"),
    ("netdev", "proc/net/dev"),
    ("netdev", "sys/class/net/eno1/speed"),
    ("uname", "proc/sys/kernel/osrelease"),
    ("os", "rootfs/etc/os-release"),
    ("stat", "proc/stat"),
    ("hwmon", "sys/devices/platform/coretemp.0/hwmon/hwmon3/temp1_input"),
]
# node_exporter keeps /proc/meminfo's field names (camelCase) on purpose; promtool reports them.
ALLOWED_LINT = (r"camelCase",)


def _settings(root: Path, collector: str) -> NodeSettings:
    switches = {f"collector_{name}": name == collector for name in COLLECTOR_NAMES}
    return NodeSettings(
        path_procfs=root / "proc",
        path_sysfs=root / "sys",
        path_rootfs=root / "rootfs",
        collector_filesystem_statvfs_file=root / "statvfs.json",
        **switches,
    )


@pytest.mark.parametrize(("collector", "relative"), CASES, ids=[f"{c}:{r}" for c, r in CASES])
def test_corrupted_file_costs_at_most_its_collector(collector: str, relative: str, tmp_path: Path) -> None:
    root = tmp_path / "host"
    shutil.copytree(FIXTURE, root, symlinks=True)
    target = root / relative
    original = target.read_text()
    sources = build_sources(_settings(root, collector))
    run = FuzzRun(allowed_lint=ALLOWED_LINT)

    @given(mutated_text(original))
    def one_example(content: str) -> None:
        target.write_bytes(content.encode("utf-8", "surrogatepass"))
        run.collect(sources)

    one_example()
    run.finish()
    # Tooth check: the corruptions reached the parser (rejected, or changed what it reported).
    assert run.failures_by_reason or len(run.outputs) > 1, f"no corruption of {relative} had any effect"
