"""``llmon-mock twin litellm``: serve the LiteLLM twin until SIGTERM/SIGINT.

The master key comes from ``--master-key-file`` or the environment variable
``LLMON_MOCK_LITELLM_MASTER_KEY``; it is never printed or logged, and never accepted as a flag
(a flag would show in ``ps``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from mock.errors import MockError
from mock.twins import read_secret

MASTER_KEY_ENV = "LLMON_MOCK_LITELLM_MASTER_KEY"


def read_master_key(path: str | None) -> str:
    """The key from the file (surrounding whitespace dropped) or the environment; one-line errors."""
    key = read_secret("master-key-file", path, MASTER_KEY_ENV)
    if key is None:
        raise MockError(f"give the master key with --master-key-file or {MASTER_KEY_ENV}")
    return key

def _run(args: argparse.Namespace) -> int:
    from mock.control import parse_listen  # noqa: PLC0415 - keeps `llmon-mock --help` light
    from mock.twins.litellm.server import LitellmTwin  # noqa: PLC0415

    key = read_master_key(args.master_key_file)
    host, port = parse_listen(args.listen)
    twin = LitellmTwin(Path(args.db), key, host, port)
    return twin.serve_until_signal(args.listen)


def add_litellm_twin(
    kinds: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
) -> None:
    """Register ``twin litellm`` on the ``twin`` verb's sub-parsers."""
    parser = with_db(kinds.add_parser("litellm", help="LiteLLM proxy admin API (HTTP)"))
    parser.add_argument("--listen", default="127.0.0.1:4000", help="HOST:PORT (default: 127.0.0.1:4000)")
    parser.add_argument(
        "--master-key-file", default=None, help=f"file holding the master key (else ${MASTER_KEY_ENV})"
    )
    parser.set_defaults(func=_run)
