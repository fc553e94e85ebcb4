"""The container exporter against the Docker twin over real HTTP: values, filters, faults, events."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from mock.twins.docker.server import DockerTwin
from tests.unit.container.conftest import Exporter, Samples, jump, value, wait_for
from tests.unit.mock_clock import play

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "container"
MakeTwin = Callable[..., DockerTwin]
MakeExporter = Callable[..., Exporter]


def _collected(exporter: Exporter, name: str = "llm-litellm-1") -> Samples:
    """Samples once the docker source is up and has resource metrics for ``name``."""

    def ready() -> Samples | None:
        samples = exporter.samples()
        ok = value(samples, "llmon_exporter_up", source="docker") == 1
        return (
            samples if ok and value(samples, "llmon_container_cpu_usage_seconds_total", name=name) else None
        )

    return wait_for(ready, what=f"a collection including {name}")


def _one_shot(twin: DockerTwin, name: str) -> dict:
    sdk = docker.DockerClient(base_url=twin.base_url, timeout=10)
    try:
        return sdk.api.stats(name, stream=False, one_shot=True)
    finally:
        sdk.close()


@pytest.mark.parametrize("cgroup", ["v2", "v1"])
def test_memory_and_cpu_match_the_daemons_stats(
    cgroup: str, make_twin: MakeTwin, make_exporter: MakeExporter, db_path: Path
) -> None:
    play(db_path, "normal", 120.0)  # paused: every answer describes the same instant
    twin = make_twin(cgroup=cgroup)
    samples = _collected(make_exporter(twin.base_url))
    stats = _one_shot(twin, "llm-litellm-1")
    memory = stats["memory_stats"]
    inactive = memory["stats"]["total_inactive_file" if cgroup == "v1" else "inactive_file"]
    rss = memory["stats"]["total_rss" if cgroup == "v1" else "anon"]
    cache = memory["stats"]["total_cache" if cgroup == "v1" else "file"]
    who = {"name": "llm-litellm-1"}
    assert value(samples, "llmon_container_memory_usage_bytes", **who) == memory["usage"]
    assert value(samples, "llmon_container_memory_working_set_bytes", **who) == memory["usage"] - inactive
    assert value(samples, "llmon_container_memory_rss_bytes", **who) == rss
    assert value(samples, "llmon_container_memory_cache_bytes", **who) == cache
    assert value(samples, "llmon_container_memory_limit_bytes", **who) == memory["limit"]
    cpu = stats["cpu_stats"]
    assert value(samples, "llmon_container_cpu_usage_seconds_total", **who) == pytest.approx(
        cpu["cpu_usage"]["total_usage"] / 1e9
    )
    assert (
        value(samples, "llmon_container_cpu_cfs_throttled_periods_total", **who)
        == (cpu["throttling_data"]["throttled_periods"])
    )
    rx = stats["networks"]["eth0"]["rx_bytes"]
    assert value(samples, "llmon_container_network_receive_bytes_total", interface="eth0", **who) == rx
    read = sum(
        e["value"] for e in stats["blkio_stats"]["io_service_bytes_recursive"] if e["op"].lower() == "read"
    )
    assert value(samples, "llmon_container_blkio_read_bytes_total", **who) == read
    has_ops = value(samples, "llmon_container_blkio_read_ops_total", **who) is not None
    assert has_ops is (cgroup == "v1")  # cgroup v2 reports bytes only
    assert value(samples, "llmon_container_pids", **who) == stats["pids_stats"]["current"]


def test_identity_state_health_and_gpus(twin: DockerTwin, make_exporter: MakeExporter) -> None:
    samples = _collected(make_exporter(twin.base_url))
    sdk = docker.DockerClient(base_url=twin.base_url, timeout=10)
    try:
        inspected = sdk.api.inspect_container("llm-vllm-0-1")
    finally:
        sdk.close()
    short = inspected["Id"][:12]
    info = [
        dict(labels)
        for (name, labels), _ in samples.items()
        if name == "llmon_container_info" and ("name", "llm-vllm-0-1") in labels
    ]
    assert info == [
        {
            "id": short, "name": "llm-vllm-0-1", "image": "vllm/vllm-openai:v0.11.0",
            "image_id": inspected["Image"], "compose_project": "llm", "compose_service": "vllm-0",
            "restart_policy": "unless-stopped",
        }
    ]  # fmt: skip
    states = {
        s: value(samples, "llmon_container_state", name="llm-vllm-0-1", state=s)
        for s in ("running", "exited")
    }
    assert states == {"running": 1.0, "exited": 0.0}
    assert value(samples, "llmon_container_health_status", name="llm-vllm-0-1", status="healthy") == 1.0
    gpus = sorted(
        dict(labels)["gpu_uuid"]
        for (name, labels), _ in samples.items()
        if name == "llmon_container_gpu_info" and ("name", "llm-vllm-0-1") in labels
    )
    assert gpus == sorted(inspected["HostConfig"]["DeviceRequests"][0]["DeviceIDs"])
    assert value(samples, "llmon_container_gpu_info", name="llm-litellm-1") is None


def test_name_filter_and_cap_count_what_was_dropped(twin: DockerTwin, make_exporter: MakeExporter) -> None:
    exporter = make_exporter(twin.base_url, containers_include="^langfuse-", containers_max=2, events=False)
    samples = wait_for(
        lambda: (s := exporter.samples()) and value(s, "llmon_container_dropped_total") is not None and s,
        what="a collection",
    )
    names = {dict(labels)["name"] for (name, labels), _ in samples.items() if name == "llmon_container_info"}
    assert names == {"langfuse-clickhouse-1", "langfuse-langfuse-web-1"}  # the first two by name
    assert value(samples, "llmon_container_dropped_total") == 3.0  # worker, postgres, redis; counted once
    assert value(exporter.samples(), "llmon_container_dropped_total") == 3.0


def test_label_filters(twin: DockerTwin, make_exporter: MakeExporter) -> None:
    exporter = make_exporter(
        twin.base_url,
        containers_label_include=["com.docker.compose.project=llmon"],
        containers_label_exclude=["com.docker.compose.service=grafana"],
        container_labels=["com.docker.compose.version"],
        events=False,
    )
    samples = _collected(exporter, "llmon-prometheus-1")
    info = [dict(labels) for (name, labels), _ in samples.items() if name == "llmon_container_info"]
    assert {i["compose_project"] for i in info} == {"llmon"}
    assert "llmon-grafana-1" not in {i["name"] for i in info}
    assert {i["label_com_docker_compose_version"] for i in info} == {"2.39.2"}


def test_malformed_and_vanished_containers_are_counted_not_fatal(
    twin: DockerTwin, make_exporter: MakeExporter
) -> None:
    twin.faults.malformed_stats["langfuse-redis-1"] = (
        b'{"read": "2026-01-01T00:00:00Z", "cpu_stats": {"cpu_usage": {"total_usage": "lots"'
    )
    twin.faults.malformed_stats["langfuse-postgres-1"] = (
        b'{"read": "2026-01-01T00:00:00Z", "cpu_stats": {"cpu_usage": {"total_usage": "lots"}}}'
    )
    twin.faults.vanished.add("langfuse-clickhouse-1")
    exporter = make_exporter(twin.base_url, events=False)
    samples = _collected(exporter)

    def errors(operation: str, reason: str) -> float:
        return (
            value(
                exporter.samples(), "llmon_container_request_errors_total", operation=operation, reason=reason
            )
            or 0
        )

    wait_for(lambda: errors("stats", "malformed") >= 2, what="two malformed stats")
    wait_for(lambda: errors("inspect", "gone") >= 1 and errors("stats", "gone") >= 1, what="gone counted")
    # The same failures reach the base's error counter (as partial errors: the source stays up); a
    # container removed after the list is the daemon answering 404.
    now = exporter.samples()
    base = {reason: value(now, "llmon_exporter_collect_errors_total", source="docker", reason=reason)
            for reason in ("malformed", "http_status")}  # fmt: skip
    assert base["malformed"] >= 2 and base["http_status"] >= 2
    assert value(samples, "llmon_container_cpu_usage_seconds_total", name="langfuse-redis-1") is None
    assert value(samples, "llmon_container_state", name="langfuse-redis-1", state="running") == 1.0
    assert value(samples, "llmon_exporter_up", source="docker") == 1.0


def test_a_stats_call_that_never_returns_is_a_counted_timeout(
    twin: DockerTwin, make_exporter: MakeExporter
) -> None:
    twin.faults.hang_stats.add("llm-litellm-1")
    exporter = make_exporter(
        twin.base_url, docker_timeout=0.5, stats_deadline=1.0, collect_timeout=3.0, events=False
    )
    samples = _collected(exporter, "langfuse-redis-1")
    assert value(samples, "llmon_container_cpu_usage_seconds_total", name="llm-litellm-1") is None
    timeouts = {"operation": "stats", "reason": "timeout"}
    wait_for(
        lambda: (value(exporter.samples(), "llmon_container_request_errors_total", **timeouts) or 0) >= 1,
        what="a stats timeout",
    )
    assert value(exporter.samples(), "llmon_exporter_up", source="docker") == 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_daemon_down_then_back(make_twin: MakeTwin, make_exporter: MakeExporter) -> None:
    port = _free_port()
    exporter = make_exporter(f"tcp://127.0.0.1:{port}", docker_timeout=1.0)

    def docker_down() -> Samples | None:
        samples = exporter.samples()
        return samples if value(samples, "llmon_exporter_up", source="docker") == 0 else None

    samples = wait_for(docker_down, what="up 0 while the daemon is down")
    assert value(samples, "llmon_exporter_collect_errors_total", source="docker", reason="unreachable") >= 1
    assert value(samples, "llmon_container_info", name="llm-litellm-1") is None
    make_twin(port=port)
    _collected(exporter)  # recovers without a restart
    wait_for(lambda: value(exporter.samples(), "llmon_exporter_up", source="events") == 1, what="events up")


def test_events_count_a_crash_and_trigger_a_reinspect(
    db_path: Path, twin: DockerTwin, make_exporter: MakeExporter
) -> None:
    play(db_path, "vllm-crash-loop", 20.0)
    exporter = make_exporter(twin.base_url, collect_interval=0.2)
    who = {"name": "llm-vllm-0-1"}
    wait_for(lambda: value(exporter.samples(), "llmon_container_events_total", event="die", **who) == 0,
             what="zero-initialised die counter")  # fmt: skip
    wait_for(lambda: value(exporter.samples(), "llmon_exporter_up", source="events") == 1, what="events up")
    jump(db_path, 10.0)  # the kill at 25 s
    wait_for(lambda: value(exporter.samples(), "llmon_container_events_total", event="die", **who) == 1,
             what="one die event")  # fmt: skip
    samples = wait_for(
        lambda: (
            (s := exporter.samples())
            and value(s, "llmon_container_state", state="restarting", **who) == 1
            and s
        ),
        what="restarting state",
    )
    assert value(samples, "llmon_container_exit_code", **who) == 1.0
    jump(db_path, 10.0)  # restarted at 40 s
    wait_for(lambda: value(exporter.samples(), "llmon_container_restarts", **who) == 1, what="RestartCount 1")
    assert value(exporter.samples(), "llmon_container_events_total", event="start", **who) == 1


def test_event_stream_breaks_and_stalls_reconnect(twin: DockerTwin, make_exporter: MakeExporter) -> None:
    exporter = make_exporter(twin.base_url, events_idle_timeout=0.5)

    def reconnects() -> float:
        return value(exporter.samples(), "llmon_container_events_reconnects_total") or 0.0

    wait_for(lambda: value(exporter.samples(), "llmon_exporter_up", source="events") == 1, what="events up")
    twin.faults.events_stall = True  # headers, then nothing: only the idle timeout notices
    stalled = wait_for(lambda: reconnects() >= 1 and reconnects(), what="a reconnect after a stall")
    twin.faults.events_stall = False
    wait_for(
        lambda: value(exporter.samples(), "llmon_exporter_up", source="events") == 1, what="events up again"
    )
    twin.break_event_streams()
    wait_for(lambda: reconnects() > stalled, what="a reconnect after a break")


def test_exposition_passes_promtool_and_keeps_its_families(
    twin: DockerTwin, make_exporter: MakeExporter
) -> None:
    exporter = make_exporter(twin.base_url)
    _collected(exporter)
    text = exporter.text()
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed")
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    families = sorted(
        line.removeprefix("# TYPE ")
        for line in text.splitlines()
        if line.startswith("# TYPE llmon_container")
    )
    golden = (FIXTURES / "families.txt").read_text().split("\n")
    assert families == [line for line in golden if line]
