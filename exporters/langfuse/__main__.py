"""llmon-langfuse-exporter: quality, cost and errors of an LLM application from Langfuse's public API."""

from __future__ import annotations

from exporters.base import ExporterSpec, run
from exporters.langfuse.config import LangfuseSettings
from exporters.langfuse.sources import build_sources

SPEC = ExporterSpec(
    name="langfuse",
    default_port=9876,
    description="Langfuse: generations, tokens, cost, latency, scores and errors per model.",
    settings_model=LangfuseSettings,
    build_sources=build_sources,
)


def main() -> None:
    raise SystemExit(run(SPEC))


if __name__ == "__main__":
    main()
