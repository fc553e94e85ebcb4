"""The host slice: the node twin's procfs/sysfs tree and llmon's node exporter reading it."""

from __future__ import annotations

from mock.stack_parts import Component, Context, answers

ORDER = 10


def _twin_argv(context: Context) -> list[str]:
    root = context.twin_root("node")
    return [
        context.mock_cli, "twin", "node", "--db", str(context.db), "--root", str(root),
        "--interval", str(context.twin_interval),
    ]


def _twin_ready(context: Context) -> bool:
    root = context.twin_root("node")
    return (root / "statvfs.json").is_file() and (root / "proc" / "stat").is_file()


def _exporter_argv(context: Context) -> list[str]:
    root = context.twin_root("node")
    return [
        context.script("llmon-node-exporter"),
        f"--web.listen-address={context.address('node-exporter')}",
        f"--path.procfs={root / 'proc'}",
        f"--path.sysfs={root / 'sys'}",
        f"--path.rootfs={root / 'rootfs'}",
        f"--collector.filesystem.statvfs-file={root / 'statvfs.json'}",
    ]


COMPONENTS = [
    Component(name="node-twin", title="Node twin", argv=_twin_argv, ready=_twin_ready),
    Component(
        name="node-exporter",
        title="Node exporter",
        argv=_exporter_argv,
        ready=answers("node-exporter", "/readyz"),
        port=9871,
        scrape_target="node-exporter:9871",
        links=(("metrics", "/metrics"),),
    ),
]
