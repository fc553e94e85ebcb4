"""``llmon-mock twin vllm``: serve every vLLM engine of a host (plus synthetic ones) until SIGTERM/SIGINT.

    llmon-mock twin vllm [--db var/mock.db] [--host NAME] [--listen HOST:PORT]... [--deployments a,b|none]
                         [--engines N] [--vllm-version X.Y.Z] [--targets-file PATH]

One process, one socket per engine. ``--listen`` once: engine i listens on PORT + i (PORT 0: each engine
takes a free port); repeated: one address per engine, in order; absent: 127.0.0.1 and each deployment's
seeded port (8000, 8001, ...). ``--targets-file`` is written (atomically) once every engine is bound: the
Prometheus file_sd list of the engines with their ``deployment`` label, which is how tests and benchmarks
learn the free ports.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from mock.errors import MockError
from mock.twins import wait_for_stop_signal


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def addresses(listen: list[str] | None, ports: list[int]) -> list[tuple[str, int]]:
    """Where each engine listens (see the module docstring); one-line MockError on a bad --listen."""
    from mock.control import parse_listen  # noqa: PLC0415 - keeps `llmon-mock --help` light

    if not listen:
        return [("127.0.0.1", port) for port in ports]
    parsed = [parse_listen(item) for item in listen]
    if len(parsed) == 1:
        host, first = parsed[0]
        return [(host, first + index if first else 0) for index in range(len(ports))]
    if len(parsed) != len(ports):
        raise MockError(
            f"--listen: given {len(parsed)} times for {len(ports)} engines (give it once or once per engine)"
        )
    return parsed


def _run(args: argparse.Namespace) -> int:
    from mock.db import open_db  # noqa: PLC0415
    from mock.scenario import load_scenarios  # noqa: PLC0415
    from mock.twins.vllm.server import VllmTwin  # noqa: PLC0415
    from mock.twins.vllm.state import FleetClock  # noqa: PLC0415
    from mock.twins.vllm.world import (  # noqa: PLC0415
        check_version,
        load_engines,
        select_engines,
        synthetic_engines,
        with_version,
    )

    db = Path(args.db)
    host_id = FleetClock.host_id(db, args.host)
    with open_db(db) as conn:
        seeded = select_engines(load_engines(conn, host_id), args.deployments)
    first_free = max([e.port for e in seeded], default=7999) + 1
    engines = with_version(
        seeded + synthetic_engines(args.engines, first_free),
        check_version(args.vllm_version) if args.vllm_version else None,
    )
    if not engines:
        raise MockError("no engines to serve: --deployments none needs --engines N")
    twin = VllmTwin(
        FleetClock(db, engines, load_scenarios(), host_id),
        engines,
        addresses(args.listen, [e.port for e in engines]),
    )
    try:
        twin.start()
    except OSError as exc:
        raise MockError(f"--listen: cannot listen for the vLLM engines: {exc.strerror}") from None
    try:
        if args.targets_file:
            try:
                twin.write_targets(Path(args.targets_file))
            except OSError as exc:
                raise MockError(f"--targets-file: cannot write {args.targets_file}: {exc.strerror}") from None
        wait_for_stop_signal()
    finally:
        twin.stop()
    return 0


def add_vllm_twin(
    kinds: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
) -> None:
    """Register ``twin vllm`` on the ``twin`` verb's sub-parsers."""
    parser = with_db(kinds.add_parser("vllm", help="vLLM engines (OpenAI API, /metrics) on ports 8000+"))
    parser.add_argument(
        "--listen", action="append", default=None,
        help="HOST:PORT of the first engine (the rest follow; port 0: free ports), or once per engine",
    )  # fmt: skip
    parser.add_argument("--host", default=None, help="seeded hostname to serve (default: the first host)")
    parser.add_argument("--deployments", default=None, help="comma list of deployments to serve, or 'none'")
    parser.add_argument(
        "--engines", type=_non_negative_int, default=0, help="extra synthetic engines (default: 0)"
    )
    parser.add_argument(
        "--vllm-version", default=None, help="version every engine reports (below 0.8: V0 metrics)"
    )
    parser.add_argument(
        "--targets-file", default=None, help="write a Prometheus file_sd JSON of the engines here"
    )
    parser.set_defaults(func=_run)
