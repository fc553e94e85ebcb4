"""Write (or check) the committed dashboard JSON: ``python -m grafana.dashboards_src.generate``.

grafana/dashboards/ belongs to this generator: one ``<uid>.json`` per dashboard, stable key
order and a trailing newline, so regenerating an unchanged source changes no byte and a
reviewer sees every real change as a JSON diff. ``--check`` writes nothing and exits 1 when
the directory is stale, which is what CI and the unit test run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from grafana import DASHBOARDS_DIR
from grafana.dashboards_src import containers, gpus, langfuse, litellm, self_monitoring, server_health, vllm
from grafana.dashboards_src.common import DashboardModel, encode

PROG = "python -m grafana.dashboards_src.generate"
BUILDERS: tuple[Callable[[], DashboardModel], ...] = (
    server_health.build,
    self_monitoring.build,
    containers.build,
    gpus.build,
    litellm.build,
    langfuse.build,
    vllm.build,
)


def render_all() -> dict[str, str]:
    """File name -> JSON text for every dashboard; refuses two dashboards sharing a uid."""
    rendered: dict[str, str] = {}
    for build in BUILDERS:
        model = build()
        name = f"{model.uid}.json"
        if name in rendered:
            raise ValueError(f"two dashboards share the uid {model.uid!r}")
        rendered[name] = encode(model)
    return rendered


def stale_files(out: Path, rendered: dict[str, str]) -> list[str]:
    """Names in ``out`` that differ from ``rendered``: changed, missing or left over."""
    existing = {path.name for path in out.glob("*.json")}
    changed = [
        name
        for name, text in rendered.items()
        if name not in existing or (out / name).read_text(encoding="utf-8") != text
    ]
    leftover = existing - rendered.keys()
    return sorted([*changed, *leftover])


def write_all(out: Path, rendered: dict[str, str]) -> list[str]:
    """Make ``out`` hold exactly ``rendered``; return the names written or removed."""
    touched = stale_files(out, rendered)
    for name in touched:
        path = out / name
        if name in rendered:
            path.write_text(rendered[name], encoding="utf-8")
        else:
            path.unlink()
    return touched


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DASHBOARDS_DIR, help="directory of the JSON files")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if --out is stale")
    args = parser.parse_args(argv)
    out: Path = args.out
    if not out.is_dir():
        print(f"{PROG}: error: --out: {out} is not a directory", file=sys.stderr)
        return 2
    rendered = render_all()
    if args.check:
        stale = stale_files(out, rendered)
        for name in stale:
            print(f"stale: {out / name}", file=sys.stderr)
        if stale:
            print(f"run `{PROG}` and commit the result", file=sys.stderr)
        return 1 if stale else 0
    try:
        touched = write_all(out, rendered)
    except OSError as error:
        print(f"{PROG}: error: --out: {error.strerror}: {error.filename}", file=sys.stderr)
        return 2
    for name in touched:
        print(f"updated {out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
