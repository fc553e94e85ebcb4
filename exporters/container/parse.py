"""The daemon's JSON as typed values: container identity and state, and one stats sample.

Working set follows the docker CLI (calculateMemUsageUnixNoCache) and cAdvisor: usage minus
``total_inactive_file`` on cgroup v1, minus ``inactive_file`` on cgroup v2, never below zero. RSS and
page cache are ``total_rss``/``total_cache`` (v1) or ``anon``/``file`` (v2). Block I/O sums
``io_service_bytes_recursive`` entries by op (Read/read, Write/write); operation counts exist on v1 only
(``io_serviced_recursive``). Anything of the wrong type raises ValueError, which the caller counts as
a malformed answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
ZERO_TIME_PREFIX = "0001-01-01"


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} is not a number")
    return float(value)


def _optional_number(doc: dict[str, Any], key: str, what: str) -> float | None:
    return None if doc.get(key) is None else _number(doc[key], what)


def _object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an object")
    return value


def parse_time(text: Any) -> float | None:
    """RFC 3339 with nanoseconds to Unix seconds; None for Go's zero time or nothing."""
    if not isinstance(text, str) or not text or text.startswith(ZERO_TIME_PREFIX):
        return None
    head, _, rest = text.partition(".")
    fraction = ""
    if rest:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        fraction, zone = rest[:digits], rest[digits:]
    else:
        head, zone = text[:19], text[19:]
    try:
        stamp = datetime.fromisoformat(head + ("+00:00" if zone in ("Z", "") else zone))
    except ValueError:
        raise ValueError(f"timestamp {text!r} is not RFC 3339") from None
    return stamp.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)


@dataclass(frozen=True)
class Summary:
    """One /containers/json entry: enough to decide what to collect without inspecting."""

    id: str
    name: str
    image: str
    image_id: str
    labels: dict[str, str]
    state: str
    status: str

    @property
    def short_id(self) -> str:
        return self.id[:12]


def parse_summary(doc: dict[str, Any]) -> Summary:
    names = doc.get("Names") or []
    labels = _object(doc.get("Labels"), "Labels")
    if not isinstance(doc.get("Id"), str) or not isinstance(names, list) or not names:
        raise ValueError("a container summary lacks Id or Names")
    return Summary(
        id=doc["Id"],
        name=str(names[0]).lstrip("/"),
        image=str(doc.get("Image", "")),
        image_id=str(doc.get("ImageID", "")),
        labels={str(k): str(v) for k, v in labels.items()},
        state=str(doc.get("State", "")),
        status=str(doc.get("Status", "")),
    )


@dataclass(frozen=True)
class Details:
    """What only inspect tells: restart count, OOM kill, exit code, health, start time, GPUs."""

    state: str
    restart_count: int
    oom_killed: bool
    exit_code: int
    health: str | None
    started_at: float | None
    restart_policy: str
    gpu_uuids: tuple[str, ...]


def _gpu_ids(host_config: dict[str, Any]) -> tuple[str, ...]:
    """GPU UUIDs (or indexes) from the nvidia device requests; "all" when every GPU was asked for."""
    out: list[str] = []
    for entry in host_config.get("DeviceRequests") or []:
        request = _object(entry, "DeviceRequests entry")
        capabilities = [c for group in request.get("Capabilities") or [] for c in group or []]
        if request.get("Driver") != "nvidia" and "gpu" not in capabilities:
            continue
        ids = request.get("DeviceIDs") or []
        if ids:
            out += [str(i) for i in ids]
        elif request.get("Count") == -1:
            out.append("all")
    return tuple(dict.fromkeys(out))


def parse_inspect(doc: dict[str, Any]) -> Details:
    state = _object(doc.get("State"), "State")
    host_config = _object(doc.get("HostConfig"), "HostConfig")
    health = _object(state.get("Health"), "State.Health")
    policy = _object(host_config.get("RestartPolicy"), "HostConfig.RestartPolicy")
    return Details(
        state=str(state.get("Status", "")),
        restart_count=int(_number(doc.get("RestartCount", 0), "RestartCount")),
        oom_killed=bool(state.get("OOMKilled", False)),
        exit_code=int(_number(state.get("ExitCode", 0), "State.ExitCode")),
        health=str(health["Status"]) if health.get("Status") else None,
        started_at=parse_time(state.get("StartedAt")),
        restart_policy=str(policy.get("Name") or "no"),
        gpu_uuids=_gpu_ids(host_config),
    )


@dataclass(frozen=True)
class NetworkCounters:
    rx_bytes: float
    rx_packets: float
    rx_errors: float
    rx_dropped: float
    tx_bytes: float
    tx_packets: float
    tx_errors: float
    tx_dropped: float


@dataclass(frozen=True)
class Sample:
    """One stats answer; None where the daemon gave nothing (stopped container, cgroup version)."""

    cpu_seconds: float | None
    cpu_user_seconds: float | None
    cpu_system_seconds: float | None
    cpu_periods: float | None
    cpu_throttled_periods: float | None
    cpu_throttled_seconds: float | None
    memory_usage: float | None
    memory_working_set: float | None
    memory_rss: float | None
    memory_cache: float | None
    memory_limit: float | None
    networks: dict[str, NetworkCounters]
    io_read_bytes: float | None
    io_write_bytes: float | None
    io_read_ops: float | None
    io_write_ops: float | None
    pids: float | None

    @property
    def empty(self) -> bool:
        """The daemon's answer for a container that is not running: no read time, no usage."""
        return self.cpu_seconds is None and self.memory_usage is None


def working_set(usage: float, stats: dict[str, Any]) -> float:
    """usage - inactive file pages, exactly as the docker CLI (v1 first, then v2, else usage)."""
    if "total_inactive_file" in stats:
        inactive_v1 = _number(stats["total_inactive_file"], "total_inactive_file")
        if inactive_v1 < usage:
            return usage - inactive_v1
    inactive = _number(stats.get("inactive_file", 0), "inactive_file")
    return usage - inactive if inactive < usage else usage


def _pick(stats: dict[str, Any], v1: str, v2: str) -> float | None:
    for key in (f"total_{v1}", v1, v2):
        if key in stats:
            return _number(stats[key], key)
    return None


def _blkio(entries: Any, what: str) -> tuple[float | None, float | None]:
    if entries is None:
        return None, None
    if not isinstance(entries, list):
        raise ValueError(f"{what} is not a list")
    read = write = 0.0
    for raw in entries:
        entry = _object(raw, what)
        op = str(entry.get("op", "")).lower()
        if op == "read":
            read += _number(entry.get("value"), what)
        elif op == "write":
            write += _number(entry.get("value"), what)
    return read, write


def _networks(doc: Any) -> dict[str, NetworkCounters]:
    out = {}
    for interface, raw in _object(doc, "networks").items():
        counters = _object(raw, "networks entry")
        out[str(interface)] = NetworkCounters(
            *(_number(counters.get(k, 0), k) for k in NetworkCounters.__dataclass_fields__)
        )
    return out


def parse_stats(doc: dict[str, Any]) -> Sample:
    cpu = _object(doc.get("cpu_stats"), "cpu_stats")
    usage = _object(cpu.get("cpu_usage"), "cpu_stats.cpu_usage")
    throttling = _object(cpu.get("throttling_data"), "throttling_data")
    memory = _object(doc.get("memory_stats"), "memory_stats")
    mem_stats = _object(memory.get("stats"), "memory_stats.stats")
    blkio = _object(doc.get("blkio_stats"), "blkio_stats")
    running = parse_time(doc.get("read")) is not None
    total = _optional_number(usage, "total_usage", "total_usage") if running else None
    mem_usage = _optional_number(memory, "usage", "memory usage")
    read_bytes, write_bytes = _blkio(blkio.get("io_service_bytes_recursive"), "io_service_bytes_recursive")
    read_ops, write_ops = _blkio(blkio.get("io_serviced_recursive"), "io_serviced_recursive")
    pids = _object(doc.get("pids_stats"), "pids_stats")
    ns = 1e-9
    user = _optional_number(usage, "usage_in_usermode", "usage_in_usermode")
    system = _optional_number(usage, "usage_in_kernelmode", "usage_in_kernelmode")
    throttled = _optional_number(throttling, "throttled_time", "throttled_time")
    return Sample(
        cpu_seconds=total * ns if total is not None else None,
        cpu_user_seconds=user * ns if user is not None and total is not None else None,
        cpu_system_seconds=system * ns if system is not None and total is not None else None,
        cpu_periods=_optional_number(throttling, "periods", "periods") if total is not None else None,
        cpu_throttled_periods=(
            _optional_number(throttling, "throttled_periods", "throttled_periods")
            if total is not None
            else None
        ),
        cpu_throttled_seconds=throttled * ns if throttled is not None and total is not None else None,
        memory_usage=mem_usage,
        memory_working_set=working_set(mem_usage, mem_stats) if mem_usage is not None else None,
        memory_rss=_pick(mem_stats, "rss", "anon"),
        memory_cache=_pick(mem_stats, "cache", "file"),
        memory_limit=_optional_number(memory, "limit", "memory limit"),
        networks=_networks(doc.get("networks")),
        io_read_bytes=read_bytes,
        io_write_bytes=write_bytes,
        io_read_ops=read_ops,
        io_write_ops=write_ops,
        pids=_optional_number(pids, "current", "pids_stats.current"),
    )
