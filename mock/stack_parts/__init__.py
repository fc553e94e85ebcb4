"""The llmon processes of the native stack (twins, control API, exporters), one module per slice.

Every module in this package defines ``ORDER`` (its start position: a slice's twin must be up before
the exporter reading it) and ``COMPONENTS`` (a list of :class:`Component`). The stack discovers the
modules, so adding an exporter to the demo and the integration tests means adding one module here and
its scrape job in prometheus/prometheus.yml — nothing else in mock/stack.py changes.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Context:
    """What a component needs to build its command line: where things are and who listens where."""

    var_dir: Path
    db: Path
    ports: Mapping[str, int]
    twin_interval: float
    script: Callable[[str], str]  # llmon console script name -> its path (the venv's)

    @property
    def mock_cli(self) -> str:
        return self.script("llmon-mock")

    def address(self, name: str) -> str:
        return f"{LOOPBACK}:{self.ports[name]}"

    def url(self, name: str) -> str:
        return f"http://{self.address(name)}"

    def twin_root(self, slice_name: str) -> Path:
        """The directory a file-writing twin fills (the node twin's procfs/sysfs tree)."""
        return self.var_dir / "mock" / slice_name

    def log(self, name: str) -> Path:
        return self.var_dir / "log" / f"{name}.log"


@dataclass(frozen=True)
class Component:
    """One child process of the native stack.

    ``port`` is its DESIGN port (section 6) used by the demo; tests get a free one instead. A component
    with a ``scrape_target`` stands in for that compose address of prometheus/prometheus.yml. ``links``
    are (label, path) pairs the demo prints under the component's URL.
    """

    name: str
    title: str
    argv: Callable[[Context], list[str]]
    ready: Callable[[Context], bool]
    port: int | None = None
    scrape_target: str | None = None
    links: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """Status and body of a GET; (0, b"") when nothing answers. Standard library only, because the
    demo must not need the test dependencies."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (OSError, ValueError):
        return 0, b""


def answers(name: str, path: str) -> Callable[[Context], bool]:
    """A readiness probe: the component's own HTTP server answers 200 on `path`."""
    return lambda context: http_get(context.url(name) + path)[0] == 200


def exporter(slice_name: str, *, title: str, port: int, flags: Callable[[Context], list[str]]) -> Component:
    """An llmon exporter of a slice: ``llmon-<slice>-exporter`` listening as ``<slice>-exporter``.

    Every exporter is started, probed (/readyz), scraped and linked the same way; ``flags`` gives
    only what points it at its slice's twin.
    """
    name = f"{slice_name}-exporter"

    def argv(context: Context) -> list[str]:
        listen = f"--web.listen-address={context.address(name)}"
        return [context.script(f"llmon-{name}"), listen, *flags(context)]

    return Component(
        name=name,
        title=title,
        argv=argv,
        ready=answers(name, "/readyz"),
        port=port,
        scrape_target=f"{name}:{port}",
        links=(("metrics", "/metrics"),),
    )


def http_twin_argv(context: Context, twin: str, name: str) -> list[str]:
    """``llmon-mock twin <twin>``: the scenario database served as an HTTP API at ``name``'s address."""
    return [context.mock_cli, "twin", twin, "--db", str(context.db), "--listen", context.address(name)]


def secret_file(context: Context, name: str, prefix: str) -> Path:
    """A random secret (``<prefix>-<random>``) in ``<var dir>/<name>``, written once (atomically, mode
    0600) and reused: twin and exporter read the same file, no secret is committed or on a command line."""
    path = context.var_dir / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{name}.{os.getpid()}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"{prefix}-{secrets.token_urlsafe(24)}\n")
        os.replace(partial, path)
    return path


def collect_interval_flag(context: Context) -> str:
    """Background collection follows the twins' update interval, but never more than once a second."""
    return f"--collect.interval={max(1.0, context.twin_interval):g}"


def all_components() -> list[Component]:
    """Every slice's components in start order (ORDER, then module name)."""
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    modules.sort(key=lambda module: (module.ORDER, module.__name__))
    return [component for module in modules for component in module.COMPONENTS]


def default_ports(components: list[Component]) -> dict[str, int]:
    return {component.name: component.port for component in components if component.port is not None}
