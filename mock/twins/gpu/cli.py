"""``llmon-mock twin gpu``: write the GPU processes' /proc/<pid>/cgroup files, then wait for SIGTERM.

    llmon-mock twin gpu [--root var/mock/gpu] [--host NAME] [--db PATH]

The GPUs themselves need no process: the exporter loads the NVML stand-in in-process
(``--gpu.backend=mock --gpu.mock-db=PATH``) and reads the same database. This verb only provides the
procfs tree the exporter maps pids to containers with (``--path.procfs=<root>/proc``).
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from mock.db import open_db
from mock.errors import MockError
from mock.twins import wait_for_stop_signal

log = logging.getLogger("llmon.mock.twin.gpu")


def _run(args: argparse.Namespace) -> int:
    from mock.twins.gpu.proc import write_proc_tree  # noqa: PLC0415 - numpy loads only for the twins
    from mock.twins.gpu.state import load_host_gpus  # noqa: PLC0415

    try:
        with open_db(Path(args.db)) as conn:
            host = load_host_gpus(conn, args.host)
    except (LookupError, sqlite3.Error) as exc:
        raise MockError(f"--host: {exc}") from None
    written = write_proc_tree(Path(args.root), host)
    log.info("gpu twin started", extra={"root": args.root, "host": host.hostname, "processes": len(written)})
    wait_for_stop_signal()
    return 0


def add_gpu_twin(
    kinds: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
) -> None:
    gpu = with_db(
        kinds.add_parser("gpu", help="procfs cgroup files of the GPU processes (NVML stand-in: in-process)")
    )
    gpu.add_argument("--root", default="var/mock/gpu", help="tree root (default: var/mock/gpu)")
    gpu.add_argument(
        "--host", default=None, help="seeded hostname to serve (default: the first host with GPUs)"
    )
    gpu.set_defaults(func=_run)
