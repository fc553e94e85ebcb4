"""llmon-litellm-exporter: spend, budgets, models and health of a LiteLLM proxy from its admin API."""

from __future__ import annotations

from exporters.base import ExporterSpec, run
from exporters.litellm.config import LitellmSettings
from exporters.litellm.sources import build_sources

SPEC = ExporterSpec(
    name="litellm",
    default_port=9875,
    description="LiteLLM proxy: spend and budgets per team, key and model, deployments, health.",
    settings_model=LitellmSettings,
    build_sources=build_sources,
)


def main() -> None:
    raise SystemExit(run(SPEC))


if __name__ == "__main__":
    main()
