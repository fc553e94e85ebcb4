"""The fake /proc of the GPU processes: ``<root>/proc/<pid>/cgroup`` for every process the twin reports.

The GPU exporter maps NVML's pids to workloads by reading these files (``--path.procfs=<root>/proc``).
Container processes sit in ``docker-<id>.scope`` under system.slice (Docker with the systemd cgroup
driver on cgroup v2), unit processes in their unit, exactly as on a current Ubuntu host. The set of
processes only changes with the seed, so one write at twin start is enough.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mock.twins.gpu.state import HostGpus


def cgroup_line(container_id: str | None, unit: str | None) -> str:
    if container_id is not None:
        return f"0::/system.slice/docker-{container_id}.scope\n"
    return f"0::/system.slice/{unit}\n"


def write_proc_tree(root: Path, host: HostGpus) -> list[Path]:
    """Write one cgroup file per GPU process (atomically); returns the files written."""
    written = []
    for gpu in host.gpus:
        for process in gpu.processes:
            directory = root / "proc" / str(process.pid)
            directory.mkdir(parents=True, exist_ok=True)
            target = directory / "cgroup"
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".cgroup.")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(cgroup_line(process.container_id, process.unit))
            os.replace(tmp, target)
            written.append(target)
    return written
