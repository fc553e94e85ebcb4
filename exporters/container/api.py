"""The Docker Engine, through the `docker` SDK: the only module that knows the SDK and its errors.

Every failure becomes a CollectError with one of the base's bounded reasons, plus ``gone`` handled by
callers for a container removed between list and inspect/stats (NotFound). The client is created
lazily and again after a failure, so a daemon that is down at startup or restarts later is picked up
without restarting the exporter; DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH are honoured
exactly as by the docker CLI (``docker.from_env``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import docker
import docker.errors
import requests

from exporters.base import CollectError

ONE_SHOT_API = (1, 41)
_T = TypeVar("_T")


class ContainerGoneError(Exception):
    """The container was removed after it was listed (the daemon answered 404 No such container)."""


def _version(text: str) -> tuple[int, int]:
    try:
        major, minor = text.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return (0, 0)


def classify(exc: Exception, what: str) -> CollectError:
    """One SDK/transport failure as a CollectError naming what was attempted; never with credentials."""
    if isinstance(exc, requests.exceptions.Timeout):
        return CollectError("timeout", f"{what}: the Docker daemon did not answer in time")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return CollectError("unreachable", f"{what}: cannot connect to the Docker daemon")
    if isinstance(exc, docker.errors.APIError):
        status = exc.status_code or 0
        reason = "auth" if status in (401, 403) else "http_status"
        return CollectError(reason, f"{what}: the Docker daemon answered HTTP {status}")
    if isinstance(exc, ValueError):  # requests' JSONDecodeError and our own shape checks
        return CollectError("malformed", f"{what}: the Docker daemon's answer is not the expected JSON")
    if isinstance(exc, docker.errors.DockerException):
        text = str(exc)
        if "Timeout" in text or "timed out" in text:
            return CollectError("timeout", f"{what}: the Docker daemon did not answer in time")
        return CollectError("unreachable", f"{what}: cannot reach the Docker daemon")
    if isinstance(exc, OSError):
        return CollectError("io", f"{what}: {exc.strerror or type(exc).__name__}")
    return CollectError("internal", f"{what}: {type(exc).__name__}")


class DockerApi:
    """The calls the exporter makes, each bounded by ``timeout`` seconds."""

    def __init__(
        self,
        host: str | None,
        timeout: float,
        pool_size: int = 10,
        factory: Callable[..., docker.DockerClient] = docker.from_env,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._host = host
        self._timeout = timeout
        self._pool_size = pool_size
        self._factory = factory
        self._environ = environ
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()

    def _connect(self) -> docker.DockerClient:
        with self._lock:
            if self._client is None:
                environment = dict(os.environ if self._environ is None else self._environ)
                if self._host:
                    environment["DOCKER_HOST"] = self._host
                try:
                    client = self._factory(
                        environment=environment, timeout=self._timeout, max_pool_size=self._pool_size
                    )
                except Exception as exc:
                    raise classify(exc, "connect") from None
                if client.api.base_url.startswith(("http://", "https://")):
                    # The SDK sizes only its unix-socket pool; TCP gets requests' default of 10
                    # connections, fewer than the stats workers would use at once.
                    adapter = requests.adapters.HTTPAdapter(pool_maxsize=self._pool_size)
                    client.api.mount(client.api.base_url.split("://", 1)[0] + "://", adapter)
                self._client = client
            return self._client

    def reset(self) -> None:
        """Forget the client (after the daemon failed), so the next call negotiates again."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _call(self, what: str, call: Callable[[docker.DockerClient], _T]) -> _T:
        client = self._connect()
        try:
            return call(client)
        except docker.errors.NotFound as exc:
            raise ContainerGoneError(what) from exc
        except Exception as exc:
            error = classify(exc, what)
            if error.reason in ("unreachable", "timeout") and what == "list containers":
                self.reset()
            raise error from None

    @property
    def api_version(self) -> tuple[int, int]:
        return _version(self._connect().api.api_version)

    def supports_one_shot(self) -> bool:
        return self.api_version >= ONE_SHOT_API

    def list_containers(self) -> list[dict[str, Any]]:
        """ContainerSummary of every container, running or not: one request, no inspect."""
        result = self._call("list containers", lambda c: c.api.containers(all=True))
        if not isinstance(result, list) or not all(isinstance(item, dict) for item in result):
            raise CollectError("malformed", "list containers: the Docker daemon's answer is not a list")
        return result

    def inspect(self, container_id: str) -> dict[str, Any]:
        result = self._call("inspect", lambda c: c.api.inspect_container(container_id))
        if not isinstance(result, dict):
            raise CollectError("malformed", "inspect: the Docker daemon's answer is not an object")
        return result

    def stats(self, container_id: str, one_shot: bool) -> dict[str, Any]:
        """One stats sample; one-shot skips the daemon's wait for a second sample."""
        result = self._call(
            "stats",
            lambda c: c.api.stats(container_id, stream=False, one_shot=True if one_shot else None),
        )
        if not isinstance(result, dict):
            raise CollectError("malformed", "stats: the Docker daemon's answer is not an object")
        return result

    def events(self, since: float | None) -> tuple[Iterator[dict[str, Any]], Callable[[], None]]:
        """The container event stream from ``since`` and a function that closes it from another thread."""
        client = self._connect()
        try:
            stream = client.api.events(since=since, decode=True, filters={"type": ["container"]})
        except Exception as exc:
            raise classify(exc, "events") from None
        return iter(stream), stream.close
