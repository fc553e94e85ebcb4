"""The "Server health" dashboard: one host's CPU, memory, pressure, disks, network and sensors.

Metric names are node_exporter's (the llmon node exporter keeps them), so the dashboard also
works against a stock node_exporter scraped under the same job.
"""

from __future__ import annotations

from grafana.dashboards_src.common import (
    HIGH_IS_BAD,
    LOW_IS_BAD,
    DashboardModel,
    Query,
    Section,
    bargauge_panel,
    dashboard,
    rate,
    scope_variables,
    selector,
    stat_panel,
    timeseries_panel,
)

UID = "llmon-server-health"
TITLE = "Server health"

# Pseudo and in-memory filesystems say nothing about disk space.
REAL_FILESYSTEMS = 'fstype!~"tmpfs|ramfs|squashfs|overlay"'
# Loop and RAM devices mirror other devices' traffic or none at all.
REAL_DISKS = 'device!~"loop.*|ram.*|sr.*"'
# Loopback and container veth pairs double-count traffic that also crosses a real interface.
REAL_INTERFACES = 'device!~"lo|veth.*"'

IDLE = 'mode="idle"'
BUSY = 'mode!="idle"'
# Time the CPUs were free for this host's work: the definition HostHighCpuUtilisation uses
# (prometheus/rules/recording.yml), so the panel explains the alert.
NOT_WORKING = 'mode=~"idle|iowait|steal"'
CPU_COUNT = f"count by (job, instance) ({rate('node_cpu_seconds_total', IDLE)})"
# Ratios of summed rates rather than averages of per-CPU rates, as in the recording rules.
CPU_TIME = f"sum by (job, instance) ({rate('node_cpu_seconds_total')})"
CPU_UTILISATION = f"1 - sum by (job, instance) ({rate('node_cpu_seconds_total', NOT_WORKING)}) / {CPU_TIME}"
FIRING = 'alertstate="firing"'
NOT_WATCHDOG = 'severity!="none"'


def _filesystem_used(*extra: str) -> str:
    return (
        f"1 - {selector('node_filesystem_avail_bytes', REAL_FILESYSTEMS, *extra)}"
        f" / {selector('node_filesystem_size_bytes', REAL_FILESYSTEMS, *extra)}"
    )


def _overview() -> Section:
    return Section(
        "Overview",
        [
            stat_panel(
                "CPU cores",
                description="Logical CPUs the kernel schedules on (one idle-time counter per CPU).",
                unit="short",
                queries=[Query(CPU_COUNT, "{{instance}}", instant=True)],
                width=5,
            ),
            stat_panel(
                "Memory total",
                description="Physical memory the kernel manages (MemTotal in /proc/meminfo).",
                unit="bytes",
                queries=[Query(selector("node_memory_MemTotal_bytes"), "{{instance}}", instant=True)],
                width=5,
            ),
            stat_panel(
                "Uptime",
                description="Time since the host booted; orange for the first hour after a reboot.",
                unit="dtdurations",
                queries=[
                    Query(
                        f"{selector('node_time_seconds')} - {selector('node_boot_time_seconds')}",
                        "{{instance}}",
                        instant=True,
                    )
                ],
                steps=((None, "orange"), (3600, "green")),
                width=5,
            ),
            stat_panel(
                "Root filesystem used",
                description="Share of the root filesystem no longer available to unprivileged users.",
                unit="percentunit",
                queries=[Query(_filesystem_used('mountpoint="/"'), "{{instance}}", instant=True)],
                steps=HIGH_IS_BAD,
                min_value=0,
                max_value=1,
                width=5,
            ),
            stat_panel(
                "Firing alerts",
                description=(
                    "Alerts firing now for the selected job and hosts (Watchdog excluded); "
                    "Alertmanager has the details."
                ),
                unit="short",
                queries=[
                    Query(
                        f"count({selector('ALERTS', FIRING, NOT_WATCHDOG)}) or on() vector(0)",
                        "firing",
                        instant=True,
                    )
                ],
                steps=((None, "green"), (1, "red")),
                min_value=0,
                width=4,
            ),
        ],
    )


def _cpu() -> Section:
    return Section(
        "CPU",
        [
            timeseries_panel(
                "CPU utilisation",
                description="Share of CPU time not idle, in iowait or stolen: what the CPU alert watches.",
                unit="percentunit",
                queries=[Query(CPU_UTILISATION, "{{instance}}")],
                steps=HIGH_IS_BAD,
                min_value=0,
                max_value=1,
                width=8,
            ),
            timeseries_panel(
                "CPU by mode",
                description="Where busy CPU time goes (user, system, iowait, steal...), share of all CPUs.",
                unit="percentunit",
                queries=[
                    Query(
                        f"sum by (job, instance, mode) ({rate('node_cpu_seconds_total', BUSY)})"
                        f" / on(job, instance) group_left {CPU_TIME}",
                        "{{instance}} {{mode}}",
                    )
                ],
                stacked=True,
                min_value=0,
                max_value=1,
                width=8,
            ),
            timeseries_panel(
                "Load per core",
                description="Run-queue load averages divided by the CPU count; above 1 tasks wait for a CPU.",
                unit="short",
                queries=[
                    Query(
                        f"{selector(f'node_load{minutes}')} / on(job, instance) {CPU_COUNT}",
                        f"{{{{instance}}}} {minutes}m",
                    )
                    for minutes in (1, 5, 15)
                ],
                steps=((None, "green"), (0.7, "orange"), (1, "red")),
                min_value=0,
                width=8,
            ),
        ],
    )


def _memory() -> Section:
    total = selector("node_memory_MemTotal_bytes")
    free = selector("node_memory_MemFree_bytes")
    buffers = selector("node_memory_Buffers_bytes")
    cached = selector("node_memory_Cached_bytes")
    return Section(
        "Memory and pressure",
        [
            timeseries_panel(
                "Memory available",
                description="Share of memory available to new work without swapping (MemAvailable/MemTotal).",
                unit="percentunit",
                queries=[Query(f"{selector('node_memory_MemAvailable_bytes')} / {total}", "{{instance}}")],
                steps=LOW_IS_BAD,
                min_value=0,
                max_value=1,
                width=8,
            ),
            timeseries_panel(
                "Memory breakdown",
                description="Memory used by processes, buffers, page cache and left free; sums to the total.",
                unit="bytes",
                queries=[
                    Query(f"{total} - {free} - {buffers} - {cached}", "{{instance}} used"),
                    Query(buffers, "{{instance}} buffers"),
                    Query(cached, "{{instance}} cached"),
                    Query(free, "{{instance}} free"),
                ],
                stacked=True,
                min_value=0,
                width=8,
            ),
            timeseries_panel(
                "Pressure stall (PSI)",
                description=(
                    "Share of time tasks stalled waiting for CPU, memory or I/O "
                    "(some = at least one task, full = all non-idle tasks)."
                ),
                unit="percentunit",
                queries=[
                    Query(
                        rate(f"node_pressure_{resource}_{kind}_seconds_total"), f"{{{{instance}}}} {legend}"
                    )
                    for resource, kind, legend in (
                        ("cpu", "waiting", "cpu some"),
                        ("memory", "waiting", "memory some"),
                        ("memory", "stalled", "memory full"),
                        ("io", "waiting", "io some"),
                        ("io", "stalled", "io full"),
                    )
                ],
                steps=((None, "green"), (0.1, "orange"), (0.25, "red")),
                min_value=0,
                max_value=1,
                width=8,
            ),
        ],
    )


def _filesystems() -> Section:
    return Section(
        "Filesystems",
        [
            bargauge_panel(
                "Filesystem used",
                description="Share of each filesystem no longer available to unprivileged users.",
                unit="percentunit",
                queries=[Query(_filesystem_used(), "{{instance}} {{mountpoint}}", instant=True)],
                steps=HIGH_IS_BAD,
                min_value=0,
                max_value=1,
            ),
            timeseries_panel(
                "Filesystem free space",
                description="Bytes still available to unprivileged users on each filesystem.",
                unit="bytes",
                queries=[
                    Query(
                        selector("node_filesystem_avail_bytes", REAL_FILESYSTEMS),
                        "{{instance}} {{mountpoint}}",
                    )
                ],
                min_value=0,
            ),
        ],
    )


def _disks() -> Section:
    return Section(
        "Disks",
        [
            timeseries_panel(
                "Disk I/O",
                description="Bytes read from (up) and written to (down) each block device per second.",
                unit="Bps",
                queries=[
                    Query(rate("node_disk_read_bytes_total", REAL_DISKS), "{{instance}} {{device}} read"),
                    Query(rate("node_disk_written_bytes_total", REAL_DISKS), "{{instance}} {{device}} write"),
                ],
                negative_y=".* write$",
            ),
            timeseries_panel(
                "Disk utilisation",
                description="Share of time each block device had I/O in flight; near 100% it is saturated.",
                unit="percentunit",
                queries=[
                    Query(rate("node_disk_io_time_seconds_total", REAL_DISKS), "{{instance}} {{device}}")
                ],
                steps=HIGH_IS_BAD,
                min_value=0,
                max_value=1,
            ),
        ],
    )


def _network() -> Section:
    return Section(
        "Network",
        [
            timeseries_panel(
                "Network traffic",
                description="Bytes received (up) and transmitted (down) per second on each interface.",
                unit="Bps",
                queries=[
                    Query(
                        rate("node_network_receive_bytes_total", REAL_INTERFACES),
                        "{{instance}} {{device}} receive",
                    ),
                    Query(
                        rate("node_network_transmit_bytes_total", REAL_INTERFACES),
                        "{{instance}} {{device}} transmit",
                    ),
                ],
                negative_y=".* transmit$",
            ),
            timeseries_panel(
                "Network errors and drops",
                description="Packets per second failed or dropped on receive (up) and transmit (down).",
                unit="pps",
                queries=[
                    Query(
                        rate(f"node_network_{direction}_{kind}_total", REAL_INTERFACES),
                        f"{{{{instance}}}} {{{{device}}}} {direction} {kind}",
                    )
                    for direction in ("receive", "transmit")
                    for kind in ("errs", "drop")
                ],
                negative_y=".* transmit .*",
            ),
        ],
    )


def _hardware() -> Section:
    temperature = selector("node_hwmon_temp_celsius")
    labelled = (
        f"{temperature} * on(job, instance, chip, sensor) group_left(label) "
        f"{selector('node_hwmon_sensor_label')}"
    )
    return Section(
        "Hardware",
        [
            timeseries_panel(
                "Temperatures",
                description="Temperature of each hardware sensor, named by its driver label when it has one.",
                unit="celsius",
                queries=[
                    Query(
                        f"{labelled} or on(job, instance, chip, sensor) {temperature}",
                        "{{instance}} {{chip}} {{sensor}} {{label}}",
                    )
                ],
                steps=((None, "green"), (80, "orange"), (90, "red")),
                width=24,
            ),
        ],
    )


def build() -> DashboardModel:
    """The Server health dashboard model."""
    return dashboard(
        uid=UID,
        title=TITLE,
        description="Host resources of an llmon server: CPU, memory, pressure, storage, network, sensors.",
        variables=scope_variables("node_uname_info", job="llmon-node"),
        sections=[_overview(), _cpu(), _memory(), _filesystems(), _disks(), _network(), _hardware()],
    )
