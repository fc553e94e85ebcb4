"""The GPU slice: the GPU twin's procfs tree and llmon's GPU exporter on the in-process NVML stand-in."""

from __future__ import annotations

from mock.stack_parts import Component, Context, exporter

ORDER = 20


def _twin_argv(context: Context) -> list[str]:
    return [context.mock_cli, "twin", "gpu", "--db", str(context.db), "--root", str(context.twin_root("gpu"))]


def _twin_ready(context: Context) -> bool:
    proc = context.twin_root("gpu") / "proc"
    return proc.is_dir() and any(proc.glob("*/cgroup"))


def _exporter_flags(context: Context) -> list[str]:
    return [
        "--gpu.backend=mock",
        f"--gpu.mock-db={context.db}",
        f"--path.procfs={context.twin_root('gpu') / 'proc'}",
        # The Docker twin (container slice) names the containers; it may start after this exporter.
        f"--docker.host=tcp://{context.address('docker-twin')}",
        "--docker.cache-ttl=5",
    ]


COMPONENTS = [
    Component(name="gpu-twin", title="GPU twin (GPU processes)", argv=_twin_argv, ready=_twin_ready),
    exporter("gpu", title="GPU exporter", port=9872, flags=_exporter_flags),
]
