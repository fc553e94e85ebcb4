"""The host ports the vLLM containers publish, so Docker discovery finds the vLLM twin's engines.

A seeded vLLM container publishes its engine's container port 8000 on 127.0.0.1:<deployment port>
(8000, 8001, ... as in mock/seed/vllm.py). When the vLLM twin runs on other ports (tests and the native
stack hand out free ones), the Docker twin is given the vLLM twin's ``--targets-file`` (file_sd JSON with
a ``deployment`` label per engine) and publishes the ports written there instead; the file is re-read
whenever it changes, and an unreadable or partial file leaves the seeded ports in place.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from mock.seed.vllm import CONTAINER_PORT

_cache: dict[Path, tuple[float, dict[str, int]]] = {}


def seeded_vllm_ports(conn: sqlite3.Connection, host_id: int) -> dict[str, tuple[str, int]]:
    """Container name -> (deployment, seeded host port) for the host's vLLM deployments."""
    try:
        rows = conn.execute(
            "SELECT c.name, d.name, d.port FROM vllm_deployments d "
            "JOIN containers c ON c.id = d.container_id "
            "WHERE d.host_id = ?",
            (host_id,),
        ).fetchall()
    except sqlite3.DatabaseError:
        return {}  # a database seeded before the vLLM tables: no published ports
    return {container: (deployment, port) for container, deployment, port in rows}


def _twin_ports(path: Path) -> dict[str, int]:
    """Deployment -> host port from the vLLM twin's targets file (empty when absent or unreadable)."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    cached = _cache.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    try:
        groups = json.loads(path.read_text(encoding="utf-8"))
        ports = {
            str(group["labels"]["deployment"]): int(str(group["targets"][0]).rsplit(":", 1)[1])
            for group in groups
        }
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return {}
    _cache[path] = (mtime, ports)
    return ports


def vllm_port_bindings(
    seeded: dict[str, tuple[str, int]], targets: Path | None
) -> dict[str, tuple[int, int]]:
    """Container name -> (container port, host port) as the Docker twin publishes them now."""
    live = _twin_ports(targets) if targets else {}
    return {name: (CONTAINER_PORT, live.get(deployment, port)) for name, (deployment, port) in seeded.items()}
