"""llmon-vllm-exporter: vLLM engines found statically, from file_sd files or from Docker."""

from __future__ import annotations

from exporters.base import ExporterSpec, run
from exporters.vllm.config import VllmSettings
from exporters.vllm.sources import build_sources

SPEC = ExporterSpec(
    name="vllm",
    default_port=9874,
    description="vLLM engines: their metrics under V1 names, health, restarts and model metadata.",
    settings_model=VllmSettings,
    build_sources=build_sources,
)


def main() -> None:
    raise SystemExit(run(SPEC))


if __name__ == "__main__":
    main()
