"""The Docker twin's vLLM containers: vLLM image and labels, and the port their engine really listens on."""

from __future__ import annotations

import json
import time
from pathlib import Path

from mock.twins.docker.payloads import inspect, summary
from mock.twins.docker.world import World


def test_vllm_containers_publish_the_seeded_ports(db_path: Path) -> None:
    world = World(db_path)
    snap = world.snapshot(time.time())
    state = snap.find("llm-vllm-1-1")
    assert state is not None
    assert state.seed.image == "vllm/vllm-openai:v0.11.0"
    assert (
        state.seed.labels["llmon.vllm"] == "true"
        and state.seed.labels["llmon.vllm.deployment"] == "vllm-qwen"
    )
    assert summary(state, snap)["Ports"] == [
        {"IP": "127.0.0.1", "PrivatePort": 8000, "PublicPort": 8001, "Type": "tcp"}
    ]
    doc = inspect(state, snap)
    assert doc["HostConfig"]["PortBindings"] == {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8001"}]}
    assert doc["Config"]["ExposedPorts"] == {"8000/tcp": {}}
    other = snap.find("llm-litellm-1")
    assert other is not None and summary(other, snap)["Ports"] == []


def test_vllm_twin_targets_file_overrides_the_ports(db_path: Path, tmp_path: Path) -> None:
    targets = tmp_path / "targets.json"
    world = World(db_path, vllm_targets=targets)
    state_port = lambda: summary(snap.find("llm-vllm-0-1"), snap)["Ports"][0]["PublicPort"]  # noqa: E731
    snap = world.snapshot(time.time())
    assert state_port() == 8000  # no file yet: the seeded port
    targets.write_text(json.dumps([{"targets": ["127.0.0.1:41234"], "labels": {"deployment": "vllm-llama"}}]))
    snap = world.snapshot(time.time())
    assert state_port() == 41234
    targets.write_text("[{truncated")
    snap = world.snapshot(time.time() + 1)
    assert state_port() in (8000, 41234)
