"""The vLLM slice: the vLLM twin's engines (one process, one port per engine) and llmon's vLLM exporter.

The twin listens on the component's port for the first engine and the following ports for the others
(the demo: 8000, 8001, as DESIGN section 6 says), and writes the Prometheus file_sd list of its engines
to ``targets_file(context)`` once every engine is bound: that file is both its readiness signal and how
the exporter finds the engines (file discovery), whatever ports the stack handed out.
"""

from __future__ import annotations

from pathlib import Path

from mock.stack_parts import Component, Context, collect_interval_flag, exporter

ORDER = 50
TWIN = "vllm-twin"
#: Hugging Face cache holding the twin's models' config, card and shard index (no network in the stack).
HF_CACHE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "vllm" / "hf-cache"


def targets_file(context: Context) -> Path:
    """The twin's file_sd JSON: ``[{"targets": ["127.0.0.1:8000"], "labels": {"deployment": ...}}, ...]``."""
    return context.twin_root("vllm") / "targets.json"


def _twin_argv(context: Context) -> list[str]:
    path = targets_file(context)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a file left by an earlier run would announce readiness too early
    return [
        context.mock_cli, "twin", "vllm", "--db", str(context.db), "--listen", context.address(TWIN),
        "--targets-file", str(path),
    ]  # fmt: skip


def _exporter_flags(context: Context) -> list[str]:
    """Engines from the twin's file_sd list; model metadata from the fixture cache, never the Hub."""
    return [
        f"--vllm.file-sd={targets_file(context)}",
        f"--models.cache-dir={HF_CACHE}",
        "--models.offline",
        collect_interval_flag(context),
    ]


COMPONENTS = [
    Component(
        name=TWIN,
        title="vLLM engines twin",
        argv=_twin_argv,
        ready=lambda context: targets_file(context).is_file(),
        port=8000,
        links=(("metrics", "/metrics"), ("models", "/v1/models"), ("health", "/health")),
    ),
    exporter("vllm", title="vLLM exporter", port=9874, flags=_exporter_flags),
]
