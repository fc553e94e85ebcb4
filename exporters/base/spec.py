"""ExporterSpec: what makes one exporter different from the others, handed to run()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version as _distribution_version
from typing import Any

from .settings import ExporterSettings
from .source import Source


def package_version() -> str:
    """The installed llmon version, so every exporter reports the release it was built from."""
    return _distribution_version("llmon")


@dataclass(frozen=True)
class ExporterSpec:
    """Name, port, options and sources of one exporter; the base supplies everything else."""

    name: str
    default_port: int
    description: str
    settings_model: type[ExporterSettings]
    build_sources: Callable[[Any], list[Source]]
    version: str = field(default_factory=package_version)

    @property
    def program(self) -> str:
        """The command name, used as the prefix of error lines and in the landing page."""
        return f"llmon-{self.name}-exporter"

    @property
    def env_prefix(self) -> str:
        """Prefix of this exporter's environment variables, e.g. LLMON_NODE_."""
        return f"LLMON_{self.name.upper().replace('-', '_')}_"

    def listen_address(self, settings: ExporterSettings) -> str:
        """Where to listen: the configured address, else loopback on the exporter's own port."""
        return settings.web_listen_address or f"127.0.0.1:{self.default_port}"
