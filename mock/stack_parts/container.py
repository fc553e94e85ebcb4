"""The container slice: the Docker Engine API twin and llmon's container exporter reading it."""

from __future__ import annotations

from mock.stack_parts import Component, Context, answers, collect_interval_flag, exporter, http_twin_argv
from mock.stack_parts.vllm import targets_file

ORDER = 30


def _exporter_flags(context: Context) -> list[str]:
    return [
        f"--docker.host=tcp://{context.address('docker-twin')}",
        collect_interval_flag(context),
        "--events.idle-timeout=30",
    ]


def _twin_argv(context: Context) -> list[str]:
    """The Docker twin publishes the vLLM twin's actual engine ports on the vLLM containers."""
    vllm_targets = str(targets_file(context))
    return [*http_twin_argv(context, "docker", "docker-twin"), "--vllm-targets-file", vllm_targets]


COMPONENTS = [
    Component(
        name="docker-twin",
        title="Docker Engine API twin",
        argv=_twin_argv,
        ready=answers("docker-twin", "/_ping"),
        port=2375,
        links=(("containers", "/containers/json?all=1"),),
    ),
    exporter("container", title="Container exporter", port=9873, flags=_exporter_flags),
]
