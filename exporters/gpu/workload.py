"""Which workload holds GPU memory: pid -> cgroup -> container (named via Docker) or systemd unit.

NVML reports GPU processes by host PID (so a containerized exporter needs the host PID namespace and the
host's /proc under ``--path.procfs``). A process's cgroup path names its container under every common
runtime layout:

    0::/system.slice/docker-<64 hex>.scope                 docker, systemd cgroup driver (cgroup v2)
    12:memory:/docker/<64 hex>                              docker, cgroupfs driver (cgroup v1)
    0::/kubepods.slice/.../cri-containerd-<64 hex>.scope    containerd CRI (also crio-, libpod-)
    0::/kubepods/burstable/pod<uid>/<64 hex>                CRI with the cgroupfs driver

Anything else is attributed to the systemd unit it runs in (``ollama.service``). Container ids become
names through the Docker Engine API, cached for a TTL; when Docker cannot be reached the 12-character
short id stands in, and the API is not asked again before the TTL, so a scrape never waits on it twice.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

_CONTAINER_ID = re.compile(r"^(?:docker-|cri-containerd-|crio-|libpod-)?([0-9a-f]{64})(?:\.scope)?$")
_UNIT = re.compile(r"^[A-Za-z0-9:_.@\\-]+\.(?:service|scope)$")
SHORT_ID = 12
#: Values of the reason label of llmon_gpu_workload_errors_total.
ERROR_REASONS = ("cgroup_unreadable", "docker_unreachable")
#: Each of them as a reason of llmon_exporter_collect_errors_total (exporters.base.REASONS).
REASON_BY_WORKLOAD_ERROR = {"cgroup_unreadable": "io", "docker_unreachable": "unreachable"}


class ErrorCounts:
    """Mapping failures by reason, shared by the mapper and the Docker name lookup."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, int] = dict.fromkeys(ERROR_REASONS, 0)

    def __call__(self, reason: str) -> None:
        with self._lock:
            self.counts[reason] = self.counts.get(reason, 0) + 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)


@dataclass(frozen=True)
class Owner:
    kind: str  # "container" or "unit"
    value: str  # container id (64 hex) or unit name


def owner_from_cgroup(text: str) -> Owner | None:
    """The container or unit a /proc/<pid>/cgroup file puts the process in, if any."""
    unit: str | None = None
    for line in text.splitlines():
        path = line.split(":", 2)[-1]
        for part in reversed([p for p in path.split("/") if p]):
            match = _CONTAINER_ID.match(part)
            if match:
                return Owner("container", match.group(1))
            if unit is None and _UNIT.match(part) and not part.startswith("docker-"):
                unit = part
    return Owner("unit", unit) if unit else None


class ContainerNames(Protocol):
    def name(self, container_id: str) -> str: ...


class DockerNames:
    """Container id -> name via the Docker Engine API, cached; errors give the short id."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        ttl: float,
        on_error: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self._ttl = ttl
        self._on_error = on_error
        self._clock = clock
        self._cache: dict[str, tuple[str, float]] = {}
        self._unreachable_until = 0.0
        self._lock = threading.Lock()

    def name(self, container_id: str) -> str:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(container_id)
            if cached and cached[1] > now:
                return cached[0]
            if now < self._unreachable_until:
                return container_id[:SHORT_ID]
        name = self._lookup(container_id, now)
        with self._lock:
            self._cache[container_id] = (name, now + self._ttl)
        return name

    def _lookup(self, container_id: str, now: float) -> str:
        import docker.errors  # noqa: PLC0415 - the SDK loads only when a container is seen

        try:
            if self._client is None:
                self._client = self._client_factory()
            return str(self._client.api.inspect_container(container_id)["Name"]).lstrip("/")
        except docker.errors.NotFound:
            return container_id[:SHORT_ID]
        except (docker.errors.DockerException, OSError, KeyError, TypeError) as exc:
            with self._lock:
                self._unreachable_until = now + self._ttl
            self._on_error("docker_unreachable")
            log.warning(
                "docker api unreachable; using short container ids",
                extra={"err": type(exc).__name__, "retry_s": self._ttl},
            )
            return container_id[:SHORT_ID]


def docker_client_factory(base_url: str | None, timeout: float) -> Callable[[], Any]:
    """A factory for the SDK client: --docker.host if given, else DOCKER_HOST / the local socket."""

    def build() -> Any:
        import docker  # noqa: PLC0415

        if base_url:
            return docker.DockerClient(base_url=base_url, timeout=timeout)
        return docker.from_env(timeout=timeout)

    return build


class WorkloadMapper:
    """Resolves pids to owners through ``<procfs>/<pid>/cgroup``; unreadable pids are counted, not fatal."""

    def __init__(self, procfs: Path, names: ContainerNames, errors: ErrorCounts) -> None:
        self._procfs = procfs
        self._names = names
        self.errors = errors

    def owner(self, pid: int) -> tuple[str, str] | None:
        """("container", name) or ("unit", unit) for a pid, or None when it cannot be told."""
        try:
            text = (self._procfs / str(pid) / "cgroup").read_text(encoding="utf-8", errors="replace")
        except OSError:  # the process ended, or no host PID namespace
            self.errors("cgroup_unreadable")
            return None
        found = owner_from_cgroup(text)
        if found is None:
            return None
        if found.kind == "container":
            return ("container", self._names.name(found.value))
        return ("unit", found.value)
