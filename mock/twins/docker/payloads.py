"""Container state in the Docker daemon's JSON shapes (Engine API v1.51, moby api/types).

ContainerSummary for /containers/json, ContainerInspectResponse for /containers/{id}/json,
StatsResponse for /containers/{id}/stats (cgroup v2 by default: memory.stat keys ``anon``, ``file``,
``inactive_file``..., only ``io_service_bytes_recursive`` with lowercase ops; or cgroup v1:
``total_rss``, ``total_cache``, ``total_inactive_file``..., per-CPU usage, ``io_serviced_recursive``),
and the /version and /info documents. Field names and zero values are the daemon's, because the
exporter's parsing is what these payloads exist to exercise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mock.engine_containers import ContainerState, Usage
from mock.twins.docker.world import Host, Snapshot

ENGINE_VERSION = "28.5.1"
API_VERSION = "1.51"
MIN_API_VERSION = "1.24"
ZERO_TIME = "0001-01-01T00:00:00Z"
DATA_DISK = (259, 0)  # major, minor of the NVMe drive under /var/lib/docker
PIDS_UNLIMITED = 18446744073709551615  # pids.max "max" as the daemon reports it


def rfc3339(wall: float) -> str:
    """Go's time.RFC3339Nano in UTC, as the daemon writes every timestamp."""
    stamp = datetime.fromtimestamp(wall, UTC)
    nanos = f"{round((wall % 1) * 1e9) % 1_000_000_000:09d}".rstrip("0")
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + (f".{nanos}" if nanos else "") + "Z"


def human_duration(seconds: float) -> str:
    """go-units HumanDuration, which the daemon uses in the Status column ("Up 4 hours")."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = s // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(s / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"


def _status_text(state: ContainerState, snap: Snapshot) -> str:
    if state.status == "running":
        text = f"Up {human_duration(snap.tau - state.started_tau)}"
        if state.health == "starting":
            return f"{text} (health: starting)"
        return f"{text} ({state.health})" if state.health else text
    ago = human_duration(snap.tau - (state.finished_tau or snap.tau))
    label = "Restarting" if state.status == "restarting" else "Exited"
    return f"{label} ({state.exit_code}) {ago} ago"


def _network_name(state: ContainerState) -> str:
    return f"{state.seed.labels.get('com.docker.compose.project', 'bridge')}_default"


def _device_requests(state: ContainerState) -> list[dict[str, Any]] | None:
    if state.seed.kind_name != "vllm":
        return None
    ids = list(state.seed.gpu_uuids) or None
    return [
        {
            "Driver": "nvidia",
            "Count": 0 if ids else -1,
            "DeviceIDs": ids,
            "Capabilities": [["gpu"]],
            "Options": {},
        }
    ]


def _published(binding: tuple[int, int] | None) -> list[dict[str, Any]]:
    """``docker ps`` Ports: what the container publishes on the loopback (the vLLM engines)."""
    if binding is None:
        return []
    return [{"IP": "127.0.0.1", "PrivatePort": binding[0], "PublicPort": binding[1], "Type": "tcp"}]


def _port_map(binding: tuple[int, int] | None) -> dict[str, Any]:
    """HostConfig.PortBindings / NetworkSettings.Ports of inspect."""
    if binding is None:
        return {}
    return {f"{binding[0]}/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(binding[1])}]}


def summary(state: ContainerState, snap: Snapshot) -> dict[str, Any]:
    seed = state.seed
    network = _network_name(state)
    return {
        "Id": seed.container_id,
        "Names": [f"/{seed.name}"],
        "Image": seed.image,
        "ImageID": seed.image_id,
        "Command": seed.command,
        "Created": int(snap.wall(seed.created_offset_s)),
        "Ports": _published(snap.port_binding(seed.name)),
        "Labels": seed.labels,
        "State": state.status,
        "Status": _status_text(state, snap),
        "HostConfig": {"NetworkMode": network},
        "NetworkSettings": {"Networks": {network: {"NetworkID": seed.container_id[::-1], "IPAddress": ""}}},
        "Mounts": [],
    }


def _health(state: ContainerState, snap: Snapshot) -> dict[str, Any] | None:
    if state.health is None:
        return None
    failing = 3 if state.health == "unhealthy" else 0
    return {"Status": state.health, "FailingStreak": failing, "Log": []}


def inspect(state: ContainerState, snap: Snapshot) -> dict[str, Any]:
    seed = state.seed
    restarting = state.status == "restarting"
    state_doc: dict[str, Any] = {
        "Status": state.status,
        "Running": state.running,
        "Paused": False,
        "Restarting": restarting,
        "OOMKilled": state.oom_killed,
        "Dead": False,
        "Pid": 0 if restarting or state.status == "exited" else 4000 + int(seed.container_id[:4], 16) % 60000,
        "ExitCode": state.exit_code,
        "Error": "",
        "StartedAt": rfc3339(snap.wall(state.started_tau)),
        "FinishedAt": rfc3339(snap.wall(state.finished_tau)) if state.finished_tau is not None else ZERO_TIME,
    }
    health = _health(state, snap)
    if health is not None:
        state_doc["Health"] = health
    args = seed.command.split()
    return {
        "Id": seed.container_id,
        "Created": rfc3339(snap.wall(seed.created_offset_s)),
        "Path": args[0] if args else "",
        "Args": args[1:],
        "State": state_doc,
        "Image": seed.image_id,
        "Name": f"/{seed.name}",
        "RestartCount": state.restart_count,
        "Driver": "overlay2",
        "Platform": "linux",
        "HostConfig": {
            "NetworkMode": _network_name(state),
            "RestartPolicy": {"Name": seed.restart_policy, "MaximumRetryCount": 0},
            "Memory": seed.memory_limit_bytes or 0,
            "NanoCpus": int((seed.cpu_limit or 0) * 1e9),
            "CpuPeriod": 0,
            "CpuQuota": 0,
            "DeviceRequests": _device_requests(state),
            "PortBindings": _port_map(snap.port_binding(seed.name)),
        },
        "Config": {
            "Hostname": seed.container_id[:12],
            "Image": seed.image,
            "Labels": seed.labels,
            "Cmd": args,
            "ExposedPorts": {f"{binding[0]}/tcp": {}} if (binding := snap.port_binding(seed.name)) else None,
            "Healthcheck": {"Test": ["CMD-SHELL", "curl -fsS localhost/health"]}
            if seed.kind.healthcheck
            else None,
        },
        "NetworkSettings": {
            "Networks": {_network_name(state): {"NetworkID": seed.container_id[::-1]}},
            "Ports": _port_map(snap.port_binding(seed.name)),
        },
        "Mounts": [],
    }


# --- stats -----------------------------------------------------------------------------------------


def _cpu_doc(usage: Usage | None, host: Host, tau: float, cgroup: str) -> dict[str, Any]:
    if usage is None:
        return {
            "cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
            "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
        }
    total = int(usage.cpu_seconds * 1e9)
    cpu_usage: dict[str, Any] = {
        "total_usage": total,
        "usage_in_kernelmode": int(total * 0.2),
        "usage_in_usermode": total - int(total * 0.2),
    }
    if cgroup == "v1":
        share = total // host.ncpu
        cpu_usage["percpu_usage"] = [share] * (host.ncpu - 1) + [total - share * (host.ncpu - 1)]
    return {
        "cpu_usage": cpu_usage,
        "system_cpu_usage": int((host.uptime_s + tau) * host.ncpu * 1e9),
        "online_cpus": host.ncpu,
        "throttling_data": {
            "periods": int(usage.periods),
            "throttled_periods": int(usage.throttled_periods),
            "throttled_time": int(usage.throttled_periods * 0.03 * 1e9),
        },
    }


def memory_breakdown(usage_bytes: int, file_share: float) -> dict[str, int]:
    """How a container's charged memory splits (anon, page cache, kernel); file pages mostly inactive."""
    file = int(usage_bytes * file_share)
    inactive_file = int(file * 0.55)
    anon = int(usage_bytes * (0.94 - file_share))
    return {
        "anon": anon,
        "file": file,
        "kernel": usage_bytes - anon - file,
        "active_anon": int(anon * 0.9),
        "inactive_anon": anon - int(anon * 0.9),
        "active_file": file - inactive_file,
        "inactive_file": inactive_file,
        "file_mapped": int(file * 0.3),
    }


def _memory_doc(state: ContainerState, host: Host, cgroup: str) -> dict[str, Any]:
    usage = state.usage
    if usage is None:
        return {}
    total = int(usage.memory_bytes)
    parts = memory_breakdown(total, usage.file_share)
    limit = state.seed.memory_limit_bytes or host.mem_total
    if cgroup == "v2":
        stats = {
            "anon": parts["anon"], "file": parts["file"], "kernel": parts["kernel"],
            "kernel_stack": usage.pids * 16384, "pagetables": parts["anon"] // 500, "sec_pagetables": 0,
            "percpu": 0, "sock": 0, "vmalloc": 0, "shmem": 0, "zswap": 0, "zswapped": 0,
            "file_mapped": parts["file_mapped"], "file_dirty": 0, "file_writeback": 0, "swapcached": 0,
            "anon_thp": 0, "file_thp": 0, "shmem_thp": 0, "inactive_anon": parts["inactive_anon"],
            "active_anon": parts["active_anon"], "inactive_file": parts["inactive_file"],
            "active_file": parts["active_file"], "unevictable": 0,
            "slab_reclaimable": parts["kernel"] // 2, "slab_unreclaimable": parts["kernel"] // 4,
            "slab": parts["kernel"] // 2 + parts["kernel"] // 4, "workingset_refault_anon": 0,
            "workingset_refault_file": 0, "pgfault": total // 4096, "pgmajfault": total // 4096 // 1000,
        }  # fmt: skip
        return {"usage": total, "stats": stats, "limit": limit}
    rss, cache = parts["anon"], parts["file"]
    stats = {
        "active_anon": parts["active_anon"], "active_file": parts["active_file"], "cache": cache,
        "dirty": 0, "hierarchical_memory_limit": limit, "inactive_anon": parts["inactive_anon"],
        "inactive_file": parts["inactive_file"], "mapped_file": parts["file_mapped"],
        "pgfault": total // 4096, "pgmajfault": total // 4096 // 1000, "rss": rss, "rss_huge": 0,
        "total_active_anon": parts["active_anon"], "total_active_file": parts["active_file"],
        "total_cache": cache, "total_dirty": 0, "total_inactive_anon": parts["inactive_anon"],
        "total_inactive_file": parts["inactive_file"], "total_mapped_file": parts["file_mapped"],
        "total_rss": rss, "total_rss_huge": 0, "total_unevictable": 0, "total_writeback": 0,
        "unevictable": 0, "writeback": 0,
    }  # fmt: skip
    return {"usage": total, "max_usage": int(total * 1.08), "failcnt": 0, "stats": stats, "limit": limit}


def _blkio_doc(usage: Usage | None, cgroup: str) -> dict[str, Any]:
    empty: dict[str, Any] = {
        key: None
        for key in (
            "io_service_bytes_recursive", "io_serviced_recursive", "io_queue_recursive",
            "io_service_time_recursive", "io_wait_time_recursive", "io_merged_recursive",
            "io_time_recursive", "sectors_recursive",
        )
    }  # fmt: skip
    if usage is None:
        return empty
    major, minor = DATA_DISK
    read, write = int(usage.read_bytes), int(usage.write_bytes)
    if cgroup == "v2":
        empty["io_service_bytes_recursive"] = [
            {"major": major, "minor": minor, "op": "read", "value": read},
            {"major": major, "minor": minor, "op": "write", "value": write},
        ]
        return empty

    def entries(r: int, w: int) -> list[dict[str, Any]]:
        values = {"Read": r, "Write": w, "Sync": w, "Async": r, "Discard": 0, "Total": r + w}
        return [{"major": major, "minor": minor, "op": op, "value": v} for op, v in values.items()]

    empty["io_service_bytes_recursive"] = entries(read, write)
    empty["io_serviced_recursive"] = entries(int(read / 16384), int(write / 16384))
    return empty


def stats(
    state: ContainerState,
    snap: Snapshot,
    host: Host,
    cgroup: str,
    previous: tuple[ContainerState, Snapshot] | None,
) -> dict[str, Any]:
    """One StatsResponse; ``previous`` is the sample before (None in one-shot mode: preread is zero)."""
    usage = state.usage
    doc: dict[str, Any] = {
        "name": f"/{state.seed.name}",
        "id": state.seed.container_id,
        "read": rfc3339(snap.now) if usage is not None else ZERO_TIME,
        "preread": rfc3339(previous[1].now) if previous is not None and usage is not None else ZERO_TIME,
        "pids_stats": {"current": usage.pids, "limit": PIDS_UNLIMITED} if usage is not None else {},
        "blkio_stats": _blkio_doc(usage, cgroup),
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": _cpu_doc(usage, host, snap.tau, cgroup),
        "precpu_stats": _cpu_doc(
            previous[0].usage if previous is not None else None,
            host,
            previous[1].tau if previous else 0,
            cgroup,
        ),
        "memory_stats": _memory_doc(state, host, cgroup),
    }
    if usage is not None:
        doc["networks"] = {
            "eth0": {
                "rx_bytes": int(usage.rx_bytes), "rx_packets": usage.rx_packets, "rx_errors": 0,
                "rx_dropped": usage.rx_packets // 1_000_000, "tx_bytes": int(usage.tx_bytes),
                "tx_packets": usage.tx_packets, "tx_errors": 0, "tx_dropped": 0,
            }
        }  # fmt: skip
    return doc


# --- daemon documents ------------------------------------------------------------------------------


def version(host: Host, api_version: str) -> dict[str, Any]:
    return {
        "Platform": {"Name": "Docker Engine - Community"},
        "Components": [
            {
                "Name": "Engine",
                "Version": ENGINE_VERSION,
                "Details": {"ApiVersion": api_version, "Os": "linux"},
            }
        ],
        "Version": ENGINE_VERSION,
        "ApiVersion": api_version,
        "MinAPIVersion": MIN_API_VERSION,
        "GitCommit": "f8215cc",
        "GoVersion": "go1.24.8",
        "Os": "linux",
        "Arch": "amd64",
        "KernelVersion": host.kernel,
        "BuildTime": "2025-10-08T12:17:26.000000000+00:00",
    }


def info(snap: Snapshot, host: Host, cgroup: str) -> dict[str, Any]:
    states = [s.status for s in snap.containers]
    return {
        "ID": "7TRN:IPZB:QYBB:VPBQ:UWYJ:KEJ4:RNAK:WGPS:2EMO:Z3K6:37KD:FE3B",
        "Containers": len(states),
        "ContainersRunning": states.count("running") + states.count("restarting"),
        "ContainersPaused": 0,
        "ContainersStopped": states.count("exited"),
        "Images": len({s.seed.image_id for s in snap.containers}),
        "Driver": "overlay2",
        "MemoryLimit": True,
        "CpuCfsPeriod": True,
        "CpuCfsQuota": True,
        "OomKillDisable": cgroup == "v1",
        "NCPU": host.ncpu,
        "MemTotal": host.mem_total,
        "Name": host.hostname,
        "KernelVersion": host.kernel,
        "OperatingSystem": host.operating_system,
        "OSType": "linux",
        "Architecture": "x86_64",
        "CgroupDriver": "systemd" if cgroup == "v2" else "cgroupfs",
        "CgroupVersion": "2" if cgroup == "v2" else "1",
        "ServerVersion": ENGINE_VERSION,
        "Runtimes": {"nvidia": {"path": "nvidia-container-runtime"}, "runc": {"path": "runc"}},
        "DefaultRuntime": "runc",
        "DockerRootDir": "/var/lib/docker",
    }
