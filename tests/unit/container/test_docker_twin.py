"""The Docker twin over real HTTP, with the real docker SDK as its client."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors
import httpx
import pytest

from mock.db import open_db
from mock.twins.docker.payloads import memory_breakdown
from mock.twins.docker.server import DockerTwin
from tests.unit.container.conftest import jump, wait_for
from tests.unit.mock_clock import play


def _seeded_names(db: Path) -> set[str]:
    with open_db(db) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM containers WHERE host_id = 1")}


def test_ping_version_and_info_negotiate_like_a_daemon(client: docker.DockerClient, twin: DockerTwin) -> None:
    assert client.ping() is True
    assert client.api.api_version == "1.51"  # the SDK negotiated it from /version
    info = client.info()
    assert info["CgroupVersion"] == "2"
    assert info["Containers"] == len(twin.world.seeds)
    assert info["NCPU"] == twin.world.host.ncpu


def test_list_shows_the_seeded_containers_with_compose_labels(
    client: docker.DockerClient, db_path: Path
) -> None:
    listed = client.api.containers(all=True)
    assert {c["Names"][0].lstrip("/") for c in listed} == _seeded_names(db_path)
    litellm = next(c for c in listed if c["Names"] == ["/llm-litellm-1"])
    assert litellm["Labels"]["com.docker.compose.project"] == "llm"
    assert litellm["Labels"]["com.docker.compose.service"] == "litellm"
    assert litellm["State"] == "running"
    assert litellm["Status"].startswith("Up ") and litellm["Status"].endswith("(healthy)")
    assert len(litellm["Id"]) == 64 and litellm["ImageID"].startswith("sha256:")


def test_list_filters_by_label_name_and_status(client: docker.DockerClient) -> None:
    langfuse = client.api.containers(filters={"label": "com.docker.compose.project=langfuse"})
    assert {c["Labels"]["com.docker.compose.project"] for c in langfuse} == {"langfuse"}
    assert len(langfuse) == 5
    vllm = client.api.containers(all=True, filters={"name": "^llm-vllm"})
    assert sorted(c["Names"][0] for c in vllm) == ["/llm-vllm-0-1", "/llm-vllm-1-1"]
    assert client.api.containers(all=True, filters={"status": "exited"}) == []


def test_inspect_carries_gpu_device_requests_and_state(client: docker.DockerClient, db_path: Path) -> None:
    with open_db(db_path) as conn:
        uuids = [
            row[0]
            for row in conn.execute(
                "SELECT g.uuid FROM container_gpus cg JOIN gpus g ON g.id = cg.gpu_id "
                "JOIN containers c ON c.id = cg.container_id "
                "WHERE c.host_id = 1 AND c.name = 'llm-vllm-0-1' ORDER BY g.minor_number"
            )
        ]
    inspected = client.api.inspect_container("llm-vllm-0-1")
    (request,) = inspected["HostConfig"]["DeviceRequests"]
    assert request["Driver"] == "nvidia" and request["Capabilities"] == [["gpu"]]
    assert request["DeviceIDs"] == uuids and uuids
    state = inspected["State"]
    assert state["Status"] == "running" and state["Running"] is True and state["OOMKilled"] is False
    assert state["Health"]["Status"] == "healthy"
    assert inspected["RestartCount"] == 0
    assert client.api.inspect_container("llm-litellm-1")["HostConfig"]["DeviceRequests"] is None


def test_unknown_container_is_a_404_with_the_daemons_body(twin: DockerTwin) -> None:
    response = httpx.get(f"http://{twin.address}/v1.51/containers/nope/stats?stream=0")
    assert response.status_code == 404
    assert response.json() == {"message": "No such container: nope"}


def test_too_new_api_version_is_refused(twin: DockerTwin) -> None:
    response = httpx.get(f"http://{twin.address}/v1.99/version")
    assert response.status_code == 400
    assert "Maximum supported API version is 1.51" in response.json()["message"]


def test_one_shot_stats_have_cgroup_v2_memory_and_no_previous_sample(client: docker.DockerClient) -> None:
    stats = client.api.stats("llm-litellm-1", stream=False, one_shot=True)
    memory = stats["memory_stats"]
    assert set(memory) == {"usage", "stats", "limit"}
    breakdown = memory_breakdown(memory["usage"], memory["stats"]["file"] / memory["usage"])
    assert memory["stats"]["inactive_file"] == breakdown["inactive_file"]
    assert memory["stats"]["anon"] + memory["stats"]["file"] <= memory["usage"]
    assert stats["preread"] == "0001-01-01T00:00:00Z"
    assert stats["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert stats["cpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert [e["op"] for e in stats["blkio_stats"]["io_service_bytes_recursive"]] == ["read", "write"]
    assert stats["blkio_stats"]["io_serviced_recursive"] is None
    assert stats["cpu_stats"]["throttling_data"]["periods"] > 0  # litellm has a CPU quota


def test_two_sample_stats_fill_precpu(make_twin: Callable[..., DockerTwin]) -> None:
    twin = make_twin(stats_latency=0.3)
    sdk = docker.DockerClient(base_url=twin.base_url, timeout=10)
    try:
        stats = sdk.api.stats("llm-litellm-1", stream=False)
    finally:
        sdk.close()
    assert stats["preread"] != "0001-01-01T00:00:00Z"
    assert (
        0
        < stats["precpu_stats"]["cpu_usage"]["total_usage"]
        <= stats["cpu_stats"]["cpu_usage"]["total_usage"]
    )


def test_cgroup_v1_stats_layout(make_twin: Callable[..., DockerTwin]) -> None:
    twin = make_twin(cgroup="v1")
    sdk = docker.DockerClient(base_url=twin.base_url, timeout=10)
    try:
        stats = sdk.api.stats("langfuse-postgres-1", stream=False, one_shot=True)
    finally:
        sdk.close()
    memory = stats["memory_stats"]
    assert {"total_inactive_file", "total_rss", "total_cache"} <= set(memory["stats"])
    assert "max_usage" in memory
    assert {e["op"] for e in stats["blkio_stats"]["io_serviced_recursive"]} >= {"Read", "Write"}
    assert len(stats["cpu_stats"]["cpu_usage"]["percpu_usage"]) == stats["cpu_stats"]["online_cpus"]


def test_streaming_stats_send_one_sample_per_tick(client: docker.DockerClient) -> None:
    stream = client.api.stats("langfuse-redis-1", stream=True, decode=True)
    first = next(stream)
    assert first["name"] == "/langfuse-redis-1" and first["memory_stats"]["usage"] > 0


def test_crash_loop_shows_restarts_and_restarting_state(client: docker.DockerClient, db_path: Path) -> None:
    play(db_path, "vllm-crash-loop", 130.0)  # kills at 25, 65, 105, 145 s; restarts 15 s later
    inspected = wait_for(
        lambda: (doc := client.api.inspect_container("llm-vllm-0-1"))["RestartCount"] == 3 and doc,
        what="RestartCount 3",
    )
    assert inspected["State"]["Status"] == "running"
    assert inspected["State"]["Health"]["Status"] == "starting"
    play(db_path, "vllm-crash-loop", 30.0)
    summary = wait_for(
        lambda: next(
            (
                c
                for c in client.api.containers(all=True)
                if c["Names"] == ["/llm-vllm-0-1"] and c["State"] == "restarting"
            ),
            None,
        ),
        what="restarting state",
    )
    assert summary["Status"].startswith("Restarting (1) ")
    assert client.api.stats("llm-vllm-0-1", stream=False, one_shot=True)["memory_stats"] == {}


def test_events_replay_an_oom_kill_as_oom_die_start(client: docker.DockerClient, db_path: Path) -> None:
    play(db_path, "container-oom", 235.0)
    time.sleep(0.3)  # let the twin's recorder see the paused state first
    jump(db_path, 30.0)  # past the kill at 240 s and the restart 20 s later
    # A jump moves scenario time ahead of the wall clock: the events are stamped 25 and 5 s ago.
    since = time.time() - 120.0

    def replayed() -> list[str]:
        events = client.api.events(
            since=since, until=time.time(), decode=True, filters={"container": ["llm-vllm-0-1"]}
        )
        return [e["Action"] for e in events]

    actions = wait_for(lambda: len(replayed()) >= 3 and replayed(), what="three events")
    assert actions[:3] == ["oom", "die", "start"]
    die = client.api.events(since=since, until=time.time(), decode=True, filters={"event": ["die"]})
    (message,) = [e for e in die if e["Actor"]["Attributes"]["name"] == "llm-vllm-0-1"]
    assert message["Actor"]["Attributes"]["exitCode"] == "137"
    assert message["Type"] == "container" and message["scope"] == "local"


def test_events_break_when_the_twin_cuts_streams(twin: DockerTwin) -> None:
    with httpx.stream("GET", f"http://{twin.address}/events", timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        twin.break_event_streams()
        with pytest.raises(httpx.HTTPError):
            for _ in response.iter_bytes():
                pass


def test_events_reject_an_unknown_filter(twin: DockerTwin) -> None:
    filters = json.dumps({"colour": ["red"]})
    response = httpx.get(f"http://{twin.address}/events", params={"filters": filters})
    assert response.status_code == 400
    assert response.json() == {"message": "invalid filter 'colour'"}


def test_synthetic_containers_for_benchmarks(make_twin: Callable[..., DockerTwin]) -> None:
    twin = make_twin(extra=5)
    sdk = docker.DockerClient(base_url=twin.base_url, timeout=10)
    try:
        names = [
            c["Names"][0] for c in sdk.api.containers(filters={"label": "com.docker.compose.project=bench"})
        ]
    finally:
        sdk.close()
    assert sorted(names) == [f"/bench-worker-{i:03d}-1" for i in range(5)]


def test_not_found_through_the_sdk_raises_notfound(client: docker.DockerClient) -> None:
    with pytest.raises(docker.errors.NotFound):
        client.api.inspect_container("0000000000000000")
