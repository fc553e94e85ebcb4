"""Docker containers as engine targets: vLLM images or the label ``llmon.vllm=true``.

An engine's deployment is its label ``llmon.vllm.deployment`` or else the container name, which
survives restarts (the id does not survive a re-create). Its port is the private port named by the
label ``llmon.vllm.port``, else 8000 (vLLM's default), else the container's only TCP port. The URL uses
the port published on the host (reached at ``--vllm.docker.address``, default the daemon's TCP host or
127.0.0.1); an unpublished port is reached on the container's network address instead.

A stopped or restarting container publishes no ports, yet it is exactly the engine an operator wants
to see down: it keeps the last address it had while it exists, so ``llmon_vllm_up`` shows 0 for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import Metric

from exporters.base import Source
from exporters.container.api import DockerApi
from exporters.vllm.targets import Target, TargetRegistry, check_deployment

LABEL_ENABLE = "llmon.vllm"
LABEL_DEPLOYMENT = "llmon.vllm.deployment"
LABEL_PORT = "llmon.vllm.port"
VLLM_PORT = 8000
_ANY_ADDRESS = ("", "0.0.0.0", "::")


def daemon_host(docker_host: str | None) -> str:
    """Where published ports are: the daemon's host for tcp:// daemons, else this machine."""
    if docker_host and docker_host.startswith(("tcp://", "http://", "https://")):
        return urlsplit(docker_host.replace("tcp://", "http://", 1)).hostname or "127.0.0.1"
    return "127.0.0.1"


def _tcp_ports(container: dict[str, Any]) -> list[dict[str, Any]]:
    ports = container.get("Ports") or []
    return [
        p for p in ports if isinstance(p, dict) and p.get("Type", "tcp") == "tcp" and p.get("PrivatePort")
    ]


def _private_port(container: dict[str, Any], labels: dict[str, str]) -> int | None:
    if labels.get(LABEL_PORT, "").isdecimal():
        return int(labels[LABEL_PORT])
    private = sorted({int(p["PrivatePort"]) for p in _tcp_ports(container)})
    if VLLM_PORT in private or not private:
        return VLLM_PORT
    return private[0] if len(private) == 1 else None


def _network_ip(container: dict[str, Any]) -> str | None:
    networks = (container.get("NetworkSettings") or {}).get("Networks") or {}
    for network in networks.values():
        if isinstance(network, dict) and network.get("IPAddress"):
            return str(network["IPAddress"])
    return None


class DockerDiscovery(Source):
    """Lists containers once per refresh (one API call) and keeps the registry's docker list current."""

    name = "discovery-docker"
    background = True

    def __init__(self, api: DockerApi, registry: TargetRegistry, image_pattern: str, address: str) -> None:
        self._api = api
        self._registry = registry
        self._image = re.compile(image_pattern, re.IGNORECASE)
        self._address = address
        self._last_url: dict[str, str] = {}

    def is_engine(self, container: dict[str, Any]) -> bool:
        labels = container.get("Labels") or {}
        if labels.get(LABEL_ENABLE, "").lower() in ("false", "0", "no"):
            return False
        image = str(container.get("Image") or "").split("@")[0]
        return labels.get(LABEL_ENABLE, "").lower() in ("true", "1", "yes") or bool(self._image.search(image))

    def collect(self) -> Iterator[Metric]:
        containers = self._api.list_containers()
        found: list[Target] = []
        invalid = 0
        alive: set[str] = set()
        for container in containers:
            if not self.is_engine(container):
                continue
            name = str((container.get("Names") or ["/" + str(container.get("Id", ""))[:12]])[0]).lstrip("/")
            alive.add(name)
            url = self._url(container) or self._last_url.get(name)
            labels = container.get("Labels") or {}
            try:
                deployment = check_deployment(labels.get(LABEL_DEPLOYMENT) or name)
            except ValueError:
                url = None
            if url is None:
                invalid += 1
                continue
            self._last_url[name] = url
            found.append(Target(deployment, url, "docker"))
        self._last_url = {name: url for name, url in self._last_url.items() if name in alive}
        self._registry.replace("docker", found, invalid)
        return iter(())

    def _url(self, container: dict[str, Any]) -> str | None:
        labels = container.get("Labels") or {}
        port = _private_port(container, labels)
        if port is None:
            return None
        for mapping in _tcp_ports(container):
            if int(mapping["PrivatePort"]) == port and mapping.get("PublicPort"):
                ip = str(mapping.get("IP") or "")
                host = self._address if ip in _ANY_ADDRESS else ip
                host = f"[{host}]" if ":" in host else host
                return f"http://{host}:{int(mapping['PublicPort'])}"
        if str(container.get("State", "")).lower() != "running":
            return None  # a stopped container has no address of its own; the last one is kept
        ip = _network_ip(container)
        return f"http://{ip}:{port}" if ip else None
