"""The compose files as data: loading, the compose-spec merge of the mock overlay, mounts and ports.

No Docker engine (and no compose v2) is available to the tests, so the merge that
`docker compose -f docker-compose.yml -f docker-compose.mock.yml` performs is reproduced here
from the compose-spec merge rules (13-merge.md): mappings merge key by key, sequences append,
`command`/`entrypoint`/`healthcheck.test` are replaced, and `volumes`/`ports` are unique by
container target. Debian's docker-compose 1.29, when installed, checks this reproduction
(test_stack_compose.py compares the two).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
BASE_FILE = REPO_ROOT / "docker-compose.yml"
MOCK_FILE = REPO_ROOT / "docker-compose.mock.yml"
# compose-spec/compose-spec@170098ba07d9f53c383a41bfd4c5166b0a4529a6 schema/compose-spec.json
# (the schema file itself last changed in a08f8d51631b, 2025-10-28). Debian's docker-compose
# 1.29 ships a 2021 compose_spec.json that predates `name:` and other current fields.
COMPOSE_SCHEMA_FILE = REPO_ROOT / "tests" / "fixtures" / "compose-spec.json"

# DESIGN.md section 6: the port each published service listens on, inside and outside.
DESIGN_PORTS = {
    "prometheus": 9090,
    "alertmanager": 9093,
    "grafana": 3000,
    "loki": 3100,
    "node-exporter": 9871,
    "mock-control": 9879,
}

# Replaced whole by an overlay; healthcheck.test is too, which the key-by-key mapping merge gives.
_REPLACED_KEYS = {"command", "entrypoint"}


@dataclass(frozen=True)
class Mount:
    """One entry of a service's `volumes`, whichever syntax it was written in."""

    type: str  # bind | volume | tmpfs
    source: str | None
    target: str
    read_only: bool
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Port:
    """One published port."""

    host_ip: str
    published: int
    target: int
    protocol: str


def load_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML file (merge keys `<<:` resolved, as compose does)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def project_version() -> str:
    """The llmon version from pyproject.toml, which the llmon image tag must follow."""
    with (REPO_ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def parse_mount(entry: str | dict[str, Any]) -> Mount:
    """Normalise the short (`src:target:mode`) and long (`type: ...`) volume syntaxes."""
    if isinstance(entry, dict):
        kind = entry["type"]
        options: tuple[str, ...] = ()
        if kind == "bind" and "propagation" in entry.get("bind", {}):
            options = (entry["bind"]["propagation"],)
        return Mount(kind, entry.get("source"), entry["target"], bool(entry.get("read_only")), options)
    parts = entry.split(":")
    if len(parts) == 1:
        return Mount("volume", None, parts[0], False)
    source, target = parts[0], parts[1]
    modes = tuple(parts[2].split(",")) if len(parts) > 2 else ()
    kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
    return Mount(
        kind, source, target, "ro" in modes, tuple(mode for mode in modes if mode not in {"ro", "rw"})
    )


def parse_port(entry: str | dict[str, Any]) -> Port:
    """Normalise `ip:published:target[/proto]` and the long port syntax."""
    if isinstance(entry, dict):
        return Port(
            entry.get("host_ip", ""),
            int(entry["published"]),
            int(entry["target"]),
            entry.get("protocol", "tcp"),
        )
    spec, _, protocol = str(entry).partition("/")
    parts = spec.split(":")
    host_ip = parts[0] if len(parts) == 3 else ""
    return Port(host_ip, int(parts[-2]) if len(parts) > 1 else 0, int(parts[-1]), protocol or "tcp")


def _mount_key(entry: str | dict[str, Any]) -> str:
    return parse_mount(entry).target


def _port_key(entry: str | dict[str, Any]) -> tuple[str, int, int, str]:
    port = parse_port(entry)
    return (port.host_ip, port.target, port.published, port.protocol)


_UNIQUE_KEYS = {"volumes": _mount_key, "ports": _port_key}


def _merge_unique(base: list[Any], override: list[Any], key: Callable[[Any], Hashable]) -> list[Any]:
    merged = {key(item): item for item in base}
    merged.update({key(item): item for item in override})
    return list(merged.values())


def _merge_service(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for name, value in override.items():
        if name not in merged or name in _REPLACED_KEYS:
            merged[name] = value
        elif name in _UNIQUE_KEYS:
            merged[name] = _merge_unique(merged[name], value, _UNIQUE_KEYS[name])
        elif isinstance(value, dict):
            merged[name] = {**merged[name], **value}
        elif isinstance(value, list):
            merged[name] = merged[name] + value
        else:
            merged[name] = value
    return merged


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """The project `docker compose -f base -f override` would run (before interpolation)."""
    merged = {key: value for key, value in base.items() if key != "services"}
    for key, value in override.items():
        if key == "services":
            continue
        merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
    services = dict(base.get("services", {}))
    for name, service in override.get("services", {}).items():
        services[name] = _merge_service(services[name], service) if name in services else service
    merged["services"] = services
    return merged


def base_project() -> dict[str, Any]:
    """docker-compose.yml as the operator runs it."""
    return load_yaml(BASE_FILE)


def mock_project() -> dict[str, Any]:
    """docker-compose.yml with docker-compose.mock.yml overlaid."""
    return merge(load_yaml(BASE_FILE), load_yaml(MOCK_FILE))


def mounts(service: dict[str, Any]) -> list[Mount]:
    """The service's volumes, normalised."""
    return [parse_mount(entry) for entry in service.get("volumes", [])]


def ports(service: dict[str, Any]) -> list[Port]:
    """The service's published ports, normalised."""
    return [parse_port(entry) for entry in service.get("ports", [])]


@dataclass(frozen=True)
class Invocation:
    """One program a service runs: its argv and the file its output is appended to, if any."""

    argv: tuple[str, ...]
    log_file: str | None


def invocations(service: dict[str, Any]) -> list[Invocation]:
    """The programs in the service's command, looking through an `sh -c '... || exec ...'` wrapper."""
    command = service.get("command", [])
    if isinstance(command, str):
        command = shlex.split(command)
    if command[:2] != ["sh", "-c"]:
        return [Invocation(tuple(command), None)]
    found: list[Invocation] = []
    words: list[str] = []
    log_file = None
    for token in [*shlex.split(command[2]), "&&"]:
        if token in {"&&", "||"}:
            found.append(Invocation(tuple(words[1:] if words[:1] == ["exec"] else words), log_file))
            words, log_file = [], None
        elif token.startswith(">>"):
            log_file = token[2:]
        elif token != "2>&1":
            words.append(token)
    return found


def argv(service: dict[str, Any]) -> list[str]:
    """The program the service exists to run: the last one in its command."""
    return list(invocations(service)[-1].argv)


def flag(arguments: list[str], name: str) -> str | None:
    """The value of `--name=value`, `-name=value` or `--name value`; None when absent."""
    for index, argument in enumerate(arguments):
        key, sep, value = argument.partition("=")
        if key.lstrip("-") != name or not key.startswith("-"):
            continue
        if sep:
            return value
        if index + 1 < len(arguments):
            return arguments[index + 1]
    return None


def host_path(service: dict[str, Any], container_path: str) -> Path | None:
    """Where a container path of the service comes from in the repository, via its bind mounts."""
    best: Mount | None = None
    for mount in mounts(service):
        inside = container_path == mount.target or container_path.startswith(mount.target.rstrip("/") + "/")
        if inside and (best is None or len(mount.target) > len(best.target)):
            best = mount
    if best is None or best.type != "bind" or best.source is None or not best.source.startswith("."):
        return None
    return REPO_ROOT / best.source / Path(container_path).relative_to(best.target)


def healthcheck_test(service: dict[str, Any]) -> str:
    """The healthcheck command as one string ("" when there is none or it is disabled)."""
    check = service.get("healthcheck", {})
    test = check.get("test", [])
    if check.get("disable") or test in (["NONE"], "NONE"):
        return ""
    return test if isinstance(test, str) else " ".join(str(part) for part in test[1:])


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def seconds(duration: str) -> float:
    """A Prometheus/Loki duration such as `168h` or `1h30m`, in seconds."""
    parts = re.findall(r"(\d+)(ms|[smhdwy])", duration)
    if not parts or "".join(number + unit for number, unit in parts) != duration:
        raise ValueError(f"not a duration: {duration!r}")
    return sum(int(number) * _UNITS[unit] for number, unit in parts)


def size_bytes(size: str | int) -> int:
    """A Loki size such as `256KB` (powers of two) or a plain number of bytes."""
    if isinstance(size, int):
        return size
    match = re.fullmatch(r"(\d+)(B|KB|MB|GB)", size)
    if match is None:
        raise ValueError(f"not a size: {size!r}")
    return int(match.group(1)) * _SIZES[match.group(2)]
