"""Parsing the daemon's JSON, the options, and the container engine's scenario arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporters.base import run
from exporters.container.__main__ import SPEC
from exporters.container.parse import parse_inspect, parse_stats, parse_time, working_set
from mock.db import open_db
from mock.engine_containers import ContainerState, container_states
from mock.scenario import load_scenarios
from mock.twins.docker.world import load_container_seeds


@pytest.mark.parametrize(
    ("usage", "stats", "expected"),
    [
        (1000, {"inactive_file": 300}, 700),  # cgroup v2
        (1000, {"total_inactive_file": 250, "inactive_file": 100}, 750),  # v1: the hierarchy total wins
        (
            1000,
            {"total_inactive_file": 1200, "inactive_file": 100},
            900,
        ),  # v1 total too big: docker CLI falls back
        (1000, {"inactive_file": 1000}, 1000),  # nothing reclaimable is subtracted when it is not below usage
        (1000, {}, 1000),
    ],
)
def test_working_set_follows_the_docker_cli(usage: int, stats: dict[str, int], expected: int) -> None:
    assert working_set(usage, stats) == expected


def test_stats_of_a_stopped_container_are_empty() -> None:
    sample = parse_stats({"read": "0001-01-01T00:00:00Z", "cpu_stats": {"cpu_usage": {"total_usage": 0}},
                          "memory_stats": {}, "name": "/x", "id": "abc"})  # fmt: skip
    assert sample.empty and sample.networks == {}


def test_wrongly_typed_stats_are_malformed() -> None:
    with pytest.raises(ValueError, match="total_usage"):
        parse_stats({"read": "2026-01-01T00:00:00Z", "cpu_stats": {"cpu_usage": {"total_usage": "many"}}})
    with pytest.raises(ValueError, match="networks"):
        parse_stats({"read": "2026-01-01T00:00:00Z", "networks": ["eth0"]})


def test_inspect_reads_gpus_health_and_nanosecond_start() -> None:
    details = parse_inspect(
        {
            "RestartCount": 4,
            "State": {"Status": "running", "OOMKilled": False, "ExitCode": 0,
                      "StartedAt": "2026-11-23T18:00:00.123456789Z", "Health": {"Status": "starting"}},
            "HostConfig": {"RestartPolicy": {"Name": "always"}, "DeviceRequests": [
                {"Driver": "", "Count": 0, "DeviceIDs": ["GPU-1", "GPU-2"], "Capabilities": [["gpu"]]},
                {"Driver": "nvidia", "Count": -1, "DeviceIDs": None, "Capabilities": [["gpu"]]},
            ]},
        }
    )  # fmt: skip
    assert details.gpu_uuids == ("GPU-1", "GPU-2", "all")
    assert details.health == "starting" and details.restart_count == 4 and details.restart_policy == "always"
    assert details.started_at == pytest.approx(parse_time("2026-11-23T18:00:00Z") + 0.123456789)


def test_bad_options_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(SPEC, ["--containers.include=(", "--check-config"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert run(SPEC, ["--stats.deadline=20s", "--check-config"]) == 2
    assert "stats.deadline" in capsys.readouterr().err


def test_crash_loop_and_oom_arithmetic(pristine_db: Path) -> None:
    scenarios = load_scenarios()
    with open_db(pristine_db) as conn:
        seeds = load_container_seeds(conn, 1)

    def vllm(name: str, t: float) -> ContainerState:
        return next(s for s in container_states(seeds, scenarios[name], t) if s.seed.name == "llm-vllm-0-1")

    # Crash loop: kills at 25 + 40k s, each followed by 15 s of "restarting".
    assert (vllm("vllm-crash-loop", 24).status, vllm("vllm-crash-loop", 24).restart_count) == ("running", 0)
    assert vllm("vllm-crash-loop", 30).status == "restarting" and vllm("vllm-crash-loop", 30).exit_code == 1
    assert vllm("vllm-crash-loop", 125).restart_count == 3
    other = next(
        s for s in container_states(seeds, scenarios["vllm-crash-loop"], 125) if s.seed.name == "llm-vllm-1-1"
    )
    assert other.restart_count == 0  # first_only: the incident hits one engine
    # OOM: memory sits at the limit before the kill at 240 s, the kill is an OOM (137), then it restarts.
    before = vllm("container-oom", 230)
    limit = before.seed.memory_limit_bytes
    assert before.usage is not None and limit and before.usage.memory_bytes / limit > 0.99
    killed = vllm("container-oom", 245)
    assert (killed.status, killed.oom_killed, killed.exit_code) == ("restarting", True, 137)
    after = vllm("container-oom", 265)
    assert (after.status, after.oom_killed, after.restart_count) == ("running", False, 1)
