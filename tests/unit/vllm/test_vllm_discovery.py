"""Targets: static flags, file_sd files re-read on change, Docker containers, duplicates counted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from exporters.base import CollectError
from exporters.vllm.docker_sd import DockerDiscovery, daemon_host
from exporters.vllm.file_sd import FileDiscovery
from exporters.vllm.targets import Target, TargetRegistry, parse_static


def test_static_target_forms() -> None:
    assert parse_static("http://10.0.0.5:8000/") == Target("10.0.0.5:8000", "http://10.0.0.5:8000", "static")
    assert parse_static("llama=gpu1:8001") == Target("llama", "http://gpu1:8001", "static")
    assert parse_static("https://vllm.example").deployment == "vllm.example:443"


@pytest.mark.parametrize("text", ["gpu1", "ftp://x:1", "http://:80", "a=http://h:99999", "http://h:1/?q=1"])
def test_bad_static_targets_say_why(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_static(text)


def test_registry_keeps_the_first_of_duplicates_and_counts_the_rest() -> None:
    registry = TargetRegistry()
    registry.replace("static", [parse_static("a=http://h:8000")])
    registry.replace(
        "file",
        [
            Target("b", "http://H:8000/", "file"),
            Target("a", "http://h:8001", "file"),
            Target("c", "http://h:8002", "file"),
        ],
        invalid=2,
    )
    assert [t.deployment for t in registry.targets()] == ["a", "c"]
    assert registry.dropped() == {
        ("file", "duplicate_url"): 1,
        ("file", "duplicate_deployment"): 1,
        ("file", "invalid"): 2,
    }


def _write(path: Path, data: object, mtime: int) -> None:
    path.write_text(json.dumps(data) if path.suffix == ".json" else str(data))
    os.utime(path, (mtime, mtime))


def test_file_sd_is_reread_when_it_changes_and_keeps_last_good_on_error(tmp_path: Path) -> None:
    registry = TargetRegistry()
    path = tmp_path / "engines.json"
    _write(
        path,
        [
            {"targets": ["127.0.0.1:8000"], "labels": {"deployment": "llama"}},
            {"targets": ["127.0.0.1:8001", "no-port"]},
        ],
        1000,
    )
    source = FileDiscovery([path], registry)
    list(source.collect())
    assert [(t.deployment, t.url) for t in registry.targets()] == [
        ("llama", "http://127.0.0.1:8000"),
        ("127.0.0.1:8001", "http://127.0.0.1:8001"),
    ]
    assert registry.dropped() == {("file", "invalid"): 1}
    _write(path, [{"targets": ["127.0.0.1:9000"], "labels": {"__scheme__": "https"}}], 2000)
    list(source.collect())
    assert [t.url for t in registry.targets()] == ["https://127.0.0.1:9000"]
    path.write_text("[{not json")
    os.utime(path, (3000, 3000))
    with pytest.raises(CollectError) as caught:
        list(source.collect())
    assert caught.value.reason == "malformed"
    assert [t.url for t in registry.targets()] == ["https://127.0.0.1:9000"]


def test_file_sd_yaml_and_missing_file(tmp_path: Path) -> None:
    registry = TargetRegistry()
    path = tmp_path / "engines.yml"
    path.write_text("- targets: ['gpu2:8000']\n  labels: {deployment: qwen}\n")
    list(FileDiscovery([path], registry).collect())
    assert [t.deployment for t in registry.targets()] == ["qwen"]
    with pytest.raises(CollectError) as caught:
        list(FileDiscovery([tmp_path / "absent.json"], registry).collect())
    assert caught.value.reason == "io"


class _Api:
    def __init__(self, containers: list[dict]) -> None:
        self.containers = containers

    def list_containers(self) -> list[dict]:
        return self.containers


def _container(
    name: str, image: str, state: str = "running", labels: dict | None = None, ports: list | None = None
) -> dict:
    return {
        "Id": name * 4,
        "Names": [f"/{name}"],
        "Image": image,
        "State": state,
        "Labels": labels or {},
        "Ports": ports if ports is not None else [],
        "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.9"}}},
    }


def test_docker_discovery_finds_vllm_images_and_labelled_containers() -> None:
    registry = TargetRegistry()
    api = _Api(
        [
            _container(
                "llm-0",
                "vllm/vllm-openai:v0.11.0",
                labels={"llmon.vllm.deployment": "vllm-llama"},
                ports=[{"IP": "127.0.0.1", "PrivatePort": 8000, "PublicPort": 41001, "Type": "tcp"}],
            ),
            _container(
                "custom",
                "registry.local/serving:1",
                labels={"llmon.vllm": "true", "llmon.vllm.port": "9000"},
                ports=[{"IP": "0.0.0.0", "PrivatePort": 9000, "PublicPort": 49000, "Type": "tcp"}],
            ),
            _container("unpublished", "vllm/vllm-openai:latest"),
            _container(
                "web",
                "nginx:1.27",
                ports=[{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 80, "Type": "tcp"}],
            ),
            _container("opted-out", "vllm/vllm-openai:v0.11.0", labels={"llmon.vllm": "false"}),
        ]
    )
    source = DockerDiscovery(api, registry, r"(^|/)vllm[^/:@]*(:|@|$)", "10.1.1.1")  # type: ignore[arg-type]
    list(source.collect())
    assert [(t.deployment, t.url) for t in registry.targets()] == [
        ("vllm-llama", "http://127.0.0.1:41001"),
        ("custom", "http://10.1.1.1:49000"),
        ("unpublished", "http://172.17.0.9:8000"),
    ]
    api.containers[0].update(State="restarting", Ports=[])
    list(source.collect())
    assert registry.targets()[0].url == "http://127.0.0.1:41001"  # kept while restarting, so it shows down
    api.containers.pop(0)
    list(source.collect())
    assert "vllm-llama" not in [t.deployment for t in registry.targets()]


def test_daemon_host() -> None:
    assert daemon_host("tcp://192.168.1.20:2375") == "192.168.1.20"
    assert daemon_host("unix:///var/run/docker.sock") == "127.0.0.1"
    assert daemon_host(None) == "127.0.0.1"
