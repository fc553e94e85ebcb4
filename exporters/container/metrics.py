"""Metric families of one collection cycle: names, help, types and labels of every container series.

Identity labels are ``name`` and ``id`` (the 12-character short id); everything descriptive (image,
compose project and service, restart policy, allow-listed container labels) is on
``llmon_container_info`` only, to be joined in PromQL. State and health are one gauge per possible
value (1 for the current one) so an alert can say ``state="restarting"`` without regexes over values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporters.container.parse import COMPOSE_PROJECT, COMPOSE_SERVICE, Details, Sample, Summary

STATES = ("created", "running", "paused", "restarting", "removing", "exited", "dead")
HEALTH_STATUSES = ("starting", "healthy", "unhealthy")
ID = ["name", "id"]
INFO_LABELS = ["id", "name", "image", "image_id", "compose_project", "compose_service", "restart_policy"]


@dataclass(frozen=True)
class ContainerRecord:
    summary: Summary
    details: Details | None  # None until the first inspect succeeds
    sample: Sample | None  # None when not running or its stats failed this cycle


def label_name(container_label: str) -> str:
    """A container label as a Prometheus label name: label_ plus the name with invalid characters as _."""
    return "label_" + re.sub(r"[^a-zA-Z0-9_]", "_", container_label)


class _Families:
    """The families of one cycle, created in a fixed order so the exposition is stable."""

    def __init__(self, allowed_labels: Sequence[str]) -> None:
        self.allowed = list(allowed_labels)
        g, c = GaugeMetricFamily, CounterMetricFamily
        self.info = g(
            "llmon_container_info",
            "Container identity and metadata; value 1.",
            labels=INFO_LABELS + [label_name(k) for k in self.allowed],
        )
        self.state = g(
            "llmon_container_state",
            "1 for the container's current state, 0 for the others.",
            labels=[*ID, "state"],
        )
        self.health = g(
            "llmon_container_health_status",
            "1 for the health check's current status (containers with a health check only).",
            labels=[*ID, "status"],
        )
        self.started = g(
            "llmon_container_start_time_seconds", "Unix time the container last started.", labels=ID
        )
        self.exit_code = g(
            "llmon_container_exit_code", "Exit code of the last run (0 while running).", labels=ID
        )
        self.restarts = g(
            "llmon_container_restarts",
            "Docker's RestartCount: restarts by the restart policy since the container was created.",
            labels=ID,
        )
        self.oom = g(
            "llmon_container_oom_killed", "1 if the last run was ended by the OOM killer.", labels=ID
        )
        self.gpu = g(
            "llmon_container_gpu_info",
            "A GPU given to the container by a device request; value 1.",
            labels=[*ID, "gpu_uuid"],
        )
        self.cpu = c("llmon_container_cpu_usage_seconds", "CPU time consumed, all CPUs.", labels=ID)
        self.cpu_user = c("llmon_container_cpu_user_seconds", "CPU time consumed in user mode.", labels=ID)
        self.cpu_system = c(
            "llmon_container_cpu_system_seconds", "CPU time consumed in kernel mode.", labels=ID
        )
        self.periods = c("llmon_container_cpu_cfs_periods", "CFS periods elapsed (CPU quota set).", labels=ID)
        self.throttled = c("llmon_container_cpu_cfs_throttled_periods", "CFS periods throttled.", labels=ID)
        self.throttled_s = c(
            "llmon_container_cpu_cfs_throttled_seconds", "Time the container was throttled.", labels=ID
        )
        self.mem = g(
            "llmon_container_memory_usage_bytes", "Memory charged to the container's cgroup.", labels=ID
        )
        self.mem_ws = g(
            "llmon_container_memory_working_set_bytes",
            "Memory usage minus inactive file pages (what docker stats shows).",
            labels=ID,
        )
        self.mem_rss = g(
            "llmon_container_memory_rss_bytes", "Anonymous memory (v1 total_rss, v2 anon).", labels=ID
        )
        self.mem_cache = g(
            "llmon_container_memory_cache_bytes", "Page cache (v1 total_cache, v2 file).", labels=ID
        )
        self.mem_limit = g(
            "llmon_container_memory_limit_bytes", "Memory limit (host memory when none is set).", labels=ID
        )
        net = [*ID, "interface"]
        self.net = {
            "rx_bytes": c("llmon_container_network_receive_bytes", "Bytes received.", labels=net),
            "rx_packets": c("llmon_container_network_receive_packets", "Packets received.", labels=net),
            "rx_errors": c("llmon_container_network_receive_errors", "Receive errors.", labels=net),
            "rx_dropped": c(
                "llmon_container_network_receive_packets_dropped", "Received packets dropped.", labels=net
            ),
            "tx_bytes": c("llmon_container_network_transmit_bytes", "Bytes sent.", labels=net),
            "tx_packets": c("llmon_container_network_transmit_packets", "Packets sent.", labels=net),
            "tx_errors": c("llmon_container_network_transmit_errors", "Transmit errors.", labels=net),
            "tx_dropped": c(
                "llmon_container_network_transmit_packets_dropped", "Sent packets dropped.", labels=net
            ),
        }
        self.io_read = c("llmon_container_blkio_read_bytes", "Bytes read from block devices.", labels=ID)
        self.io_write = c("llmon_container_blkio_write_bytes", "Bytes written to block devices.", labels=ID)
        self.io_read_ops = c(
            "llmon_container_blkio_read_ops", "Block device reads (cgroup v1 only).", labels=ID
        )
        self.io_write_ops = c(
            "llmon_container_blkio_write_ops", "Block device writes (cgroup v1 only).", labels=ID
        )
        self.pids = g("llmon_container_pids", "Processes and threads in the container.", labels=ID)
        self.dropped = c("llmon_container_dropped", "Distinct containers left out by --containers.max.")
        self.errors = c(
            "llmon_container_request_errors",
            "Failed per-container Docker API calls, by reason.",
            labels=["operation", "reason"],
        )

    def all(self) -> list[Metric]:
        families: list[Metric] = []
        for value in vars(self).values():
            if isinstance(value, Metric):
                families.append(value)
            elif isinstance(value, dict):
                families.extend(value.values())
        return families

    def add(self, record: ContainerRecord) -> None:
        s, d = record.summary, record.details
        ident = [s.name, s.short_id]
        self.info.add_metric(
            [
                s.short_id,
                s.name,
                s.image,
                s.image_id,
                s.labels.get(COMPOSE_PROJECT, ""),
                s.labels.get(COMPOSE_SERVICE, ""),
                d.restart_policy if d else "",
                *(s.labels.get(k, "") for k in self.allowed),
            ],
            1.0,
        )
        for state in STATES:
            self.state.add_metric([*ident, state], 1.0 if s.state == state else 0.0)
        if d is not None:
            self._add_details(ident, d)
        if record.sample is not None and not record.sample.empty:
            self._add_sample(ident, record.sample)

    def _add_details(self, ident: list[str], d: Details) -> None:
        if d.health is not None:
            for status in HEALTH_STATUSES:
                self.health.add_metric([*ident, status], 1.0 if d.health == status else 0.0)
        if d.started_at is not None:
            self.started.add_metric(ident, d.started_at)
        self.exit_code.add_metric(ident, float(d.exit_code))
        self.restarts.add_metric(ident, float(d.restart_count))
        self.oom.add_metric(ident, 1.0 if d.oom_killed else 0.0)
        for uuid in d.gpu_uuids:
            self.gpu.add_metric([*ident, uuid], 1.0)

    def _add_sample(self, ident: list[str], x: Sample) -> None:
        pairs = [
            (self.cpu, x.cpu_seconds),
            (self.cpu_user, x.cpu_user_seconds),
            (self.cpu_system, x.cpu_system_seconds),
            (self.mem, x.memory_usage),
            (self.mem_ws, x.memory_working_set),
            (self.mem_rss, x.memory_rss),
            (self.mem_cache, x.memory_cache),
            (self.mem_limit, x.memory_limit),
            (self.io_read, x.io_read_bytes),
            (self.io_write, x.io_write_bytes),
            (self.io_read_ops, x.io_read_ops),
            (self.io_write_ops, x.io_write_ops),
            (self.pids, x.pids),
        ]
        if x.cpu_periods:  # only containers with a CPU quota have CFS periods
            pairs += [
                (self.periods, x.cpu_periods),
                (self.throttled, x.cpu_throttled_periods),
                (self.throttled_s, x.cpu_throttled_seconds),
            ]
        for family, value in pairs:
            if value is not None:
                family.add_metric(ident, value)
        for interface, counters in sorted(x.networks.items()):
            for field, family in self.net.items():
                family.add_metric([*ident, interface], getattr(counters, field))


def build_families(
    records: Iterable[ContainerRecord],
    allowed_labels: Sequence[str],
    dropped_total: int,
    errors: Mapping[tuple[str, str], int],
) -> list[Metric]:
    families = _Families(allowed_labels)
    for record in sorted(records, key=lambda r: r.summary.name):
        families.add(record)
    families.dropped.add_metric([], float(dropped_total))
    for (operation, reason), count in errors.items():
        families.errors.add_metric([operation, reason], float(count))
    return families.all()


def describe_families(allowed_labels: Sequence[str]) -> list[Metric]:
    return _Families(allowed_labels).all()
