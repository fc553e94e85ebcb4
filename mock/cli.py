"""``llmon-mock``: seed the mock world, drive its scenarios and clock, run its twins.

    llmon-mock seed [--seed 42] [--out var/mock.db]
    llmon-mock scenario list | set NAME | status [--json]     [--db PATH]
    llmon-mock clock pause | resume | jump SECONDS | speed FACTOR [--db PATH]
    llmon-mock control [--listen 127.0.0.1:9879]              [--db PATH]
    llmon-mock twin node [--root var/mock/node] [--interval 1] [--host NAME] [--db PATH]
    llmon-mock twin litellm [--listen 127.0.0.1:4000] [--master-key-file F] [--db PATH]
    llmon-mock twin langfuse [--listen 127.0.0.1:3030] [--api-version v4|v3|v2] [--cloud-plan P] [--db PATH]
    llmon-mock twin docker [--listen 127.0.0.1:2375] [--stats-latency 1] [--cgroup v2|v1] [--containers N]
    llmon-mock twin gpu [--root var/mock/gpu] [--host NAME] [--db PATH]
    llmon-mock twin vllm [--listen HOST:PORT]... [--deployments a,b] [--engines N] [--vllm-version V]
                         [--targets-file F] [--host NAME] [--db PATH]
    llmon-mock demo [--scenario normal] [--seed 42] [--var-dir var]

``--db`` defaults to $LLMON_MOCK_DB, else var/mock.db. Bad input prints one line
``llmon-mock: error: ...`` and exits 2; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from exporters.base.logs import setup_logging
from mock.control import ControlServer, ControlService, parse_listen, status_payload
from mock.db import DEFAULT_DB
from mock.errors import MockError
from mock.scenario import get_scenario, load_scenarios
from mock.twins import stop_on_signals
from mock.twins.docker.cli import add_docker_twin
from mock.twins.gpu.cli import add_gpu_twin
from mock.twins.langfuse.cli import add_langfuse_twin
from mock.twins.litellm.cli import add_litellm_twin
from mock.twins.vllm.cli import add_vllm_twin

PROG = "llmon-mock"
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line instead of usage text plus the error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see {PROG} --help)\n")


def _default_db() -> Path:
    return Path(os.environ.get("LLMON_MOCK_DB") or DEFAULT_DB)


def number(text: str) -> float:
    """A finite float; argparse names this type in its error ("invalid number value: 'x'")."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


# --- verbs ---------------------------------------------------------------------------------------


def _seed(args: argparse.Namespace) -> int:
    from mock.seed.generate import build_seed  # noqa: PLC0415 - faker loads only for this verb

    build_seed(args.seed, Path(args.out))
    print(f"seeded {args.out} (seed {args.seed})")
    return 0


def _print_status(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(payload))
        return
    for key, value in payload.items():
        print(f"{key}: {str(value).lower() if isinstance(value, bool) else value}")


def _scenario(args: argparse.Namespace) -> int:
    scenarios = load_scenarios()
    if args.action == "list":
        active = None
        if Path(args.db).exists():
            active = ControlService(Path(args.db), scenarios).status(time.time()).scenario
        width = max(len(name) for name in scenarios)
        for name, scenario in scenarios.items():
            print(f"{'*' if name == active else ' '} {name:<{width}}  {scenario.description}")
        return 0
    service = ControlService(Path(args.db), scenarios)
    now = time.time()
    if args.action == "set":
        state = service.set_scenario(args.name, now)
        print(f"scenario set to {state.scenario} (t=0, {'paused' if state.paused else 'running'})")
        return 0
    _print_status(status_payload(service.status(now), now), args.json)
    return 0


def _clock(args: argparse.Namespace) -> int:
    service = ControlService(Path(args.db))
    now = time.time()
    state = service.clock(
        args.action, now, seconds=getattr(args, "seconds", None), factor=getattr(args, "factor", None)
    )
    _print_status(status_payload(state, now), as_json=False)
    return 0


def _control(args: argparse.Namespace) -> int:
    service = ControlService(Path(args.db))
    service.status(time.time())  # fail fast on a missing or invalid database
    host, port = parse_listen(args.listen)
    stop = threading.Event()
    stop_on_signals(stop)
    with ControlServer(service, host, port):
        stop.wait()
    return 0


def _twin(args: argparse.Namespace) -> int:
    from mock.twins.node import NodeTwin  # noqa: PLC0415 - numpy loads only for the twins

    if args.interval <= 0:
        raise MockError(f"--interval must be positive, got {args.interval:g}")
    twin = NodeTwin(Path(args.db), Path(args.root), args.interval, args.host)
    twin.start()  # configuration errors (no database, unknown host) end here, before any signal handling
    stop_on_signals(twin.stop_event)
    return twin.serve()


def _demo(args: argparse.Namespace) -> int:
    get_scenario(load_scenarios(), args.scenario)
    # Imported on use: the native stack (another module's job) is only needed by this verb.
    stack = importlib.import_module("mock.stack")
    return stack.run_demo(scenario=args.scenario, seed=args.seed, var_dir=Path(args.var_dir))


# --- parser --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Seed, control and run the llmon mock world.")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--db", default=_default_db(), help="mock database (default: $LLMON_MOCK_DB or var/mock.db)"
        )
        return p

    seed = verbs.add_parser("seed", help="build the deterministic seed database")
    seed.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    seed.add_argument("--out", default=str(DEFAULT_DB), help="output file (default: var/mock.db)")
    seed.set_defaults(func=_seed)

    scenario = verbs.add_parser("scenario", help="list, switch or show the active scenario")
    scenario_actions = scenario.add_subparsers(dest="action", required=True, metavar="ACTION")
    with_db(scenario_actions.add_parser("list", help="list the scenarios (* marks the active one)"))
    with_db(scenario_actions.add_parser("set", help="switch to a scenario from t=0")).add_argument("name")
    status = with_db(scenario_actions.add_parser("status", help="show scenario, t, paused, speed"))
    status.add_argument("--json", action="store_true", help="print one JSON object")
    scenario.set_defaults(func=_scenario)

    clock = verbs.add_parser("clock", help="pause, resume, jump or speed up scenario time")
    clock_actions = clock.add_subparsers(dest="action", required=True, metavar="ACTION")
    with_db(clock_actions.add_parser("pause", help="freeze scenario time"))
    with_db(clock_actions.add_parser("resume", help="let scenario time run again"))
    jump = with_db(clock_actions.add_parser("jump", help="move scenario time forward"))
    jump.add_argument("seconds", type=number, help="seconds to add (> 0)")
    speed = with_db(clock_actions.add_parser("speed", help="scenario seconds per wall second"))
    speed.add_argument("factor", type=number, help="speed factor (> 0; 1 is real time)")
    clock.set_defaults(func=_clock)

    control = with_db(verbs.add_parser("control", help="serve the JSON control API"))
    control.add_argument("--listen", default="127.0.0.1:9879", help="HOST:PORT (default: 127.0.0.1:9879)")
    control.set_defaults(func=_control)

    twin = verbs.add_parser("twin", help="run a twin of an upstream")
    kinds = twin.add_subparsers(dest="kind", required=True, metavar="KIND")
    node = with_db(kinds.add_parser("node", help="fake procfs/sysfs tree for the node exporter"))
    node.add_argument("--root", default="var/mock/node", help="tree root (default: var/mock/node)")
    node.add_argument("--interval", type=number, default=1.0, help="seconds between ticks (default: 1)")
    node.add_argument("--host", default=None, help="seeded hostname to serve (default: the first host)")
    twin.set_defaults(func=_twin)
    add_litellm_twin(kinds, with_db)
    add_langfuse_twin(kinds, with_db)
    add_docker_twin(kinds, with_db, number)
    add_gpu_twin(kinds, with_db)
    add_vllm_twin(kinds, with_db)

    demo = verbs.add_parser("demo", help="run the native demo stack")
    demo.add_argument("--scenario", default="normal", help="scenario to start with (default: normal)")
    demo.add_argument("--seed", type=int, default=42, help="seed (default: 42)")
    demo.add_argument("--var-dir", default="var", help="state directory (default: var)")
    demo.set_defaults(func=_demo)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging("info", "logfmt")  # the exporters' log format, so one Loki pipeline reads both
    try:
        return args.func(args)
    except MockError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def main() -> None:
    raise SystemExit(run())


if __name__ == "__main__":
    main()
