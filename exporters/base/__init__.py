"""exporters.base: what every llmon exporter runs on.

An exporter supplies an ExporterSpec (name, port, settings model, sources) and calls run(spec); the
base supplies flags/env/YAML configuration, logging, the collection loop, self-metrics and the HTTP
server with TLS and basic auth.
"""

from .app import run
from .errors import REASONS, CollectError, ConfigError
from .server import ExporterServer
from .settings import ExporterSettings
from .source import Source
from .spec import ExporterSpec

__all__ = [
    "REASONS",
    "CollectError",
    "ConfigError",
    "ExporterServer",
    "ExporterSettings",
    "ExporterSpec",
    "Source",
    "run",
]
