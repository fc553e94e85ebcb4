"""The container slice: the Docker Engine API twin and llmon's container exporter reading it."""

from __future__ import annotations

from mock.stack_parts import Component, Context, answers

ORDER = 30


def _twin_argv(context: Context) -> list[str]:
    return [
        context.mock_cli, "twin", "docker", "--db", str(context.db),
        "--listen", context.address("docker-twin"),
    ]  # fmt: skip


def _exporter_argv(context: Context) -> list[str]:
    interval = max(1.0, context.twin_interval)
    return [
        context.script("llmon-container-exporter"),
        f"--web.listen-address={context.address('container-exporter')}",
        f"--docker.host=tcp://{context.address('docker-twin')}",
        f"--collect.interval={interval:g}",
        "--events.idle-timeout=30",
    ]


COMPONENTS = [
    Component(
        name="docker-twin",
        title="Docker Engine API twin",
        argv=_twin_argv,
        ready=answers("docker-twin", "/_ping"),
        port=2375,
        links=(("containers", "/containers/json?all=1"),),
    ),
    Component(
        name="container-exporter",
        title="Container exporter",
        argv=_exporter_argv,
        ready=answers("container-exporter", "/readyz"),
        port=9873,
        scrape_target="container-exporter:9873",
        links=(("metrics", "/metrics"),),
    ),
]
