"""``llmon-mock twin docker``: serve the Docker Engine API twin until SIGTERM/SIGINT.

    llmon-mock twin docker [--listen 127.0.0.1:2375] [--stats-latency 1.0] [--cgroup v2|v1]
                           [--containers N] [--host NAME] [--vllm-targets-file F] [--db PATH]

``--containers N`` adds N small synthetic containers (benchmarks); ``--stats-latency`` is how long a
``stats?stream=false`` call without one-shot takes, as the daemon's two-sample wait.
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


def _run(args: argparse.Namespace) -> int:
    from mock.control import parse_listen  # noqa: PLC0415 - keeps `llmon-mock --help` light
    from mock.twins.docker.server import DockerTwin  # noqa: PLC0415
    from mock.twins.docker.world import World  # noqa: PLC0415

    host, port = parse_listen(args.listen)
    if not args.stats_latency >= 0:
        raise MockError(f"--stats-latency must be a number of seconds >= 0, got {args.stats_latency:g}")
    targets = Path(args.vllm_targets_file) if args.vllm_targets_file else None
    world = World(Path(args.db), args.host, args.containers, targets)
    twin = DockerTwin(world, host=host, port=port, stats_latency=args.stats_latency, cgroup=args.cgroup)
    twin.start()
    wait_for_stop_signal()
    twin.stop()
    return 0


def add_docker_twin(
    kinds: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
    number: Callable[[str], float],
) -> None:
    """Register ``twin docker`` on the ``twin`` verb's sub-parsers."""
    parser = with_db(kinds.add_parser("docker", help="Docker Engine API (HTTP) for the container exporter"))
    parser.add_argument("--listen", default="127.0.0.1:2375", help="HOST:PORT (default: 127.0.0.1:2375)")
    parser.add_argument(
        "--stats-latency", type=number, default=1.0, help="seconds a stats call without one-shot takes"
    )
    parser.add_argument("--cgroup", choices=("v2", "v1"), default="v2", help="stats layout (default: v2)")
    parser.add_argument(
        "--containers", type=_non_negative_int, default=0, help="extra synthetic containers (default: 0)"
    )
    parser.add_argument("--host", default=None, help="seeded hostname to serve (default: the first host)")
    parser.add_argument(
        "--vllm-targets-file", default=None, help="the vLLM twin's --targets-file: publish its engines' ports"
    )
    parser.set_defaults(func=_run)
