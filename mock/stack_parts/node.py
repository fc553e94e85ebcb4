"""The host slice: the node twin's procfs/sysfs tree and llmon's node exporter reading it."""

from __future__ import annotations

from mock.stack_parts import Component, Context, exporter

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


def _exporter_flags(context: Context) -> list[str]:
    root = context.twin_root("node")
    return [
        f"--path.procfs={root / 'proc'}",
        f"--path.sysfs={root / 'sys'}",
        f"--path.rootfs={root / 'rootfs'}",
        f"--collector.filesystem.statvfs-file={root / 'statvfs.json'}",
    ]


COMPONENTS = [
    Component(name="node-twin", title="Node twin", argv=_twin_argv, ready=_twin_ready),
    exporter("node", title="Node exporter", port=9871, flags=_exporter_flags),
]
