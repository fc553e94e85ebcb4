"""A small exporter built on exporters.base, for the base's own tests.

Run as a process with ``python -m fake_base_exporter`` from this directory. It has one option of
each kind the base must handle (string, int, bool collector switch, secret, list), and sources
whose behaviour tests can script.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable

from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily
from pydantic import Field, SecretStr

from exporters.base import ExporterSettings, ExporterSpec, Source, run


class FakeSettings(ExporterSettings):
    greeting: str = Field(
        "hello", description="Label of the greeting metric.", json_schema_extra={"flag": "demo.greeting"}
    )
    answer: int = Field(
        42, ge=0, description="Value of the greeting metric.", json_schema_extra={"flag": "demo.answer"}
    )
    collector_extra: bool = Field(
        True, description="Enable the extra source.", json_schema_extra={"flag": "collector.extra"}
    )
    token: SecretStr | None = Field(
        None, description="A credential.", json_schema_extra={"flag": "demo.token"}
    )
    hosts: list[str] = Field(
        default_factory=list, description="Hosts.", json_schema_extra={"flag": "demo.host"}
    )
    fail: bool = Field(
        False,
        description="Make the greeting source fail quoting the token, as a careless upstream would.",
        json_schema_extra={"flag": "demo.fail"},
    )


class GreetingSource(Source):
    """Serves llmon_fake_answer{greeting=...} from the settings."""

    name = "greeting"

    def __init__(self, settings: FakeSettings) -> None:
        self._settings = settings

    def collect(self) -> Iterable[Metric]:
        if self._settings.fail:
            token = self._settings.token.get_secret_value() if self._settings.token else ""
            raise RuntimeError(f"upstream rejected token {token}")
        family = GaugeMetricFamily("llmon_fake_answer", "The configured answer.", labels=["greeting"])
        family.add_metric([self._settings.greeting], self._settings.answer)
        return [family]


class ScriptedSource(Source):
    """A scrape-time source the test steers: its value, an exception to raise, a gate to block on."""

    def __init__(self, name: str, value: float = 1.0) -> None:
        self.name = name
        self.value = value
        self.error: Exception | None = None
        self.calls = 0
        self.gate = threading.Event()
        self.gate.set()

    def collect(self) -> Iterable[Metric]:
        self.calls += 1
        self.gate.wait()
        if self.error is not None:
            raise self.error
        return [GaugeMetricFamily(self.metric, f"Value of the {self.name} source.", value=self.value)]

    @property
    def metric(self) -> str:
        return f"llmon_fake_{self.name}_value"


class BackgroundScriptedSource(ScriptedSource):
    background = True


def build_sources(settings: FakeSettings) -> list[Source]:
    sources: list[Source] = [GreetingSource(settings)]
    if settings.collector_extra:
        sources.append(ScriptedSource("extra"))
    return sources


SPEC = ExporterSpec(
    name="fake",
    default_port=9999,
    description="Fake exporter for the tests of exporters.base.",
    settings_model=FakeSettings,
    build_sources=build_sources,
)


def spec_serving(sources: list[Source]) -> ExporterSpec:
    """The fake exporter, serving the given sources instead of its own."""
    return dataclasses.replace(SPEC, build_sources=lambda _settings: sources)


if __name__ == "__main__":
    raise SystemExit(run(SPEC))
