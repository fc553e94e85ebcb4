"""GPU memory per container and per systemd unit: cgroup parsing, Docker names, the cap."""

from __future__ import annotations

from pathlib import Path

import docker.errors
import pytest
from conftest import expected_states, hostnames
from gpu_helpers import samples, series, value

from exporters.gpu.workload import DockerNames, ErrorCounts, WorkloadMapper, owner_from_cgroup
from mock.db import open_db
from mock.twins.gpu.proc import write_proc_tree
from mock.twins.gpu.state import load_host_gpus
from tests.unit.mock_clock import play

FIXTURE_PROC = Path(__file__).parents[2] / "fixtures" / "gpu" / "proc"


@pytest.mark.parametrize(
    ("pid", "kind", "value"),
    [
        ("30001", "container", "a" * 64),  # docker, systemd driver, cgroup v2
        ("30002", "container", "b" * 64),  # docker, cgroupfs driver, cgroup v1
        ("30003", "container", "c" * 64),  # containerd CRI, systemd driver
        ("30004", "container", "e" * 64),  # CRI, cgroupfs driver
        ("5725", "unit", "ollama.service"),
    ],
)
def test_cgroup_paths_name_the_container_or_unit(pid: str, kind: str, value: str) -> None:
    owner = owner_from_cgroup((FIXTURE_PROC / pid / "cgroup").read_text())
    assert owner is not None and (owner.kind, owner.value) == (kind, value)


def test_a_process_in_the_root_cgroup_has_no_owner() -> None:
    assert owner_from_cgroup((FIXTURE_PROC / "777" / "cgroup").read_text()) is None


class FakeApi:
    """The slice of docker.APIClient the name lookup uses."""

    def __init__(self, names: dict[str, str], failure: Exception | None = None) -> None:
        self.names = names
        self.failure = failure
        self.calls = 0

    def inspect_container(self, container_id: str) -> dict[str, str]:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        if container_id not in self.names:
            raise docker.errors.NotFound("no such container")
        return {"Name": "/" + self.names[container_id]}


class FakeClient:
    def __init__(self, api: FakeApi) -> None:
        self.api = api


def test_names_come_from_docker_and_are_cached() -> None:
    api = FakeApi({"a" * 64: "llm-vllm-0-1"})
    errors = ErrorCounts()
    names = DockerNames(lambda: FakeClient(api), ttl=60.0, on_error=errors, clock=lambda: 0.0)
    assert names.name("a" * 64) == "llm-vllm-0-1"
    assert names.name("a" * 64) == "llm-vllm-0-1"
    assert api.calls == 1
    assert names.name("f" * 64) == "f" * 12  # gone from Docker: the short id
    assert errors.snapshot() == {"cgroup_unreadable": 0, "docker_unreachable": 0}


def test_unreachable_docker_gives_short_ids_counts_and_waits_for_the_ttl() -> None:
    now = [0.0]
    api = FakeApi({}, failure=docker.errors.DockerException("connection refused"))
    errors = ErrorCounts()
    names = DockerNames(lambda: FakeClient(api), ttl=30.0, on_error=errors, clock=lambda: now[0])
    assert names.name("a" * 64) == "a" * 12
    assert names.name("b" * 64) == "b" * 12
    assert api.calls == 1  # not asked again before the TTL: a scrape never waits on it twice
    now[0] = 31.0
    names.name("c" * 64)
    assert api.calls == 2
    assert errors.snapshot()["docker_unreachable"] == 2


def test_an_unreadable_cgroup_is_counted(tmp_path: Path) -> None:
    errors = ErrorCounts()
    mapper = WorkloadMapper(tmp_path, DockerNames(lambda: None, 60.0, errors), errors)
    assert mapper.owner(4242) is None
    assert errors.snapshot()["cgroup_unreadable"] == 1


def _names_from_seed(db: Path) -> dict[str, str]:
    import sqlite3  # noqa: PLC0415

    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT container_id, name FROM containers"))


def test_twin_processes_roll_up_per_container_and_unit(
    db: Path, make_source, tmp_path: Path, monkeypatch
) -> None:
    host = hostnames(db)["ws-rtx4090"]
    play(db, "normal", 10.0)
    with open_db(db) as conn:
        write_proc_tree(tmp_path, load_host_gpus(conn, host))
    api = FakeApi(_names_from_seed(db))
    from exporters.gpu import sources  # noqa: PLC0415

    monkeypatch.setattr(sources, "docker_client_factory", lambda *a: lambda: FakeClient(api))
    source, _ = make_source(gpu_mock_host=host, path_procfs=tmp_path / "proc")
    found = samples(source.collect())
    expected: dict[tuple[str, str, str], float] = {}
    for state in expected_states(db, "normal", 10.0, host):
        for process, used in state.processes:
            kind = "container" if process.container_id else "unit"
            owner = api.names[process.container_id] if process.container_id else process.unit
            key = (str(state.seed.index), kind, owner)
            expected[key] = expected.get(key, 0.0) + used
    got = {(s["gpu"], "container", s["container"]): value(found, "llmon_gpu_container_memory_bytes", **s)
           for s in series(found, "llmon_gpu_container_memory_bytes")}  # fmt: skip
    got |= {(s["gpu"], "unit", s["unit"]): value(found, "llmon_gpu_unit_memory_bytes", **s)
            for s in series(found, "llmon_gpu_unit_memory_bytes")}  # fmt: skip
    assert got == expected
    assert ("1", "unit", "ollama.service") in got and any(kind == "container" for _, kind, _ in got)
    assert value(found, "llmon_gpu_workload_series_dropped_total") == 0.0


def test_workload_series_are_capped_and_the_rest_counted(db: Path, make_source, tmp_path: Path) -> None:
    host = hostnames(db)["ws-rtx4090"]
    play(db, "normal", 10.0)
    with open_db(db) as conn:
        write_proc_tree(tmp_path, load_host_gpus(conn, host))
    source, _ = make_source(
        gpu_mock_host=host,
        path_procfs=tmp_path / "proc",
        workloads_max_series=1,
        docker_host="tcp://127.0.0.1:1",
    )
    first = samples(source.collect())
    kept = series(first, "llmon_gpu_container_memory_bytes") + series(first, "llmon_gpu_unit_memory_bytes")
    assert len(kept) == 1
    dropped_once = value(first, "llmon_gpu_workload_series_dropped_total")
    assert dropped_once >= 1
    second = samples(source.collect())
    assert value(second, "llmon_gpu_workload_series_dropped_total") == 2 * dropped_once
    assert value(second, "llmon_gpu_workload_errors_total", reason="docker_unreachable") == 1.0
