"""Grafana provisioning and dashboards-as-code for llmon.

A package so that the generator runs from the repository root as
``python -m grafana.dashboards_src.generate`` and tools share one idea of where things live;
Grafana itself only reads the YAML and JSON files.
"""

from pathlib import Path

GRAFANA_DIR = Path(__file__).resolve().parent
DASHBOARDS_DIR = GRAFANA_DIR / "dashboards"
PROVISIONING_DIR = GRAFANA_DIR / "provisioning"
