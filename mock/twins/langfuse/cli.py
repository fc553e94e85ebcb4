"""``llmon-mock twin langfuse``: serve the Langfuse twin until SIGTERM/SIGINT.

Keys come from files (``--public-key-file``/``--secret-key-file``) or the environment
(LLMON_MOCK_LANGFUSE_PUBLIC_KEY / LLMON_MOCK_LANGFUSE_SECRET_KEY); they are never flags (a flag shows in
``ps``) and never printed. An organisation key pair is optional: it authenticates but every project
route answers 403, as Langfuse does for organisation-scoped keys.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from mock.errors import MockError
from mock.twins import read_secret

ENV_PREFIX = "LLMON_MOCK_LANGFUSE_"


def _run(args: argparse.Namespace) -> int:
    from mock.control import parse_listen  # noqa: PLC0415 - keeps `llmon-mock --help` light
    from mock.twins.langfuse.server import Keys, LangfuseTwin  # noqa: PLC0415

    public = read_secret("public-key-file", args.public_key_file, f"{ENV_PREFIX}PUBLIC_KEY")
    secret = read_secret("secret-key-file", args.secret_key_file, f"{ENV_PREFIX}SECRET_KEY")
    if not public or not secret:
        raise MockError(
            f"give the project keys with --public-key-file and --secret-key-file (or {ENV_PREFIX}PUBLIC_KEY "
            f"and {ENV_PREFIX}SECRET_KEY)"
        )
    org_public = read_secret("org-public-key-file", args.org_public_key_file, None)
    org_secret = read_secret("org-secret-key-file", args.org_secret_key_file, None)
    if (org_public is None) != (org_secret is None):
        raise MockError("--org-public-key-file and --org-secret-key-file go together")
    if args.history_traces is not None and args.history_traces < 0:
        raise MockError("--history-traces: must be 0 or more")
    host, port = parse_listen(args.listen)
    twin = LangfuseTwin(
        Path(args.db),
        Keys(public, secret, org_public, org_secret),
        host,
        port,
        api_version=args.api_version,
        version=args.langfuse_version,
        events_only=args.events_only,
        cloud_plan=args.cloud_plan,
        history_traces=args.history_traces,
    )
    return twin.serve_until_signal(args.listen)


def add_langfuse_twin(
    kinds: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
) -> None:
    """Register ``twin langfuse`` on the ``twin`` verb's sub-parsers."""
    parser = with_db(kinds.add_parser("langfuse", help="Langfuse public API (HTTP)"))
    parser.add_argument("--listen", default="127.0.0.1:3030", help="HOST:PORT (default: 127.0.0.1:3030)")
    parser.add_argument(
        "--api-version", choices=("v4", "v3", "v2"), default="v4", help="surface (default: v4)"
    )
    parser.add_argument("--langfuse-version", default=None, help="version /api/public/health reports")
    parser.add_argument("--events-only", action="store_true", help="v4 events_only mode: legacy routes 404")
    parser.add_argument(
        "--cloud-plan",
        choices=("hobby", "core", "pro"),
        default=None,
        help="Cloud rate limits (default: none)",
    )
    parser.add_argument(
        "--history-traces", type=int, default=None, help="traces in the history (default: seeded)"
    )
    parser.add_argument(
        "--public-key-file", default=None, help=f"project public key (else ${ENV_PREFIX}PUBLIC_KEY)"
    )
    parser.add_argument(
        "--secret-key-file", default=None, help=f"project secret key (else ${ENV_PREFIX}SECRET_KEY)"
    )
    parser.add_argument("--org-public-key-file", default=None, help="an organisation key (answers 403)")
    parser.add_argument("--org-secret-key-file", default=None, help="its secret key")
    parser.set_defaults(func=_run)
