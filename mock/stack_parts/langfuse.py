"""The Langfuse slice: the Langfuse twin (public API) and llmon's Langfuse exporter reading it.

Both read the project's key pair from two files under the stack's var directory, created on first use
with fresh random keys (owner-only permissions): no key is committed, none appears on a command line.
"""

from __future__ import annotations

from pathlib import Path

from mock.stack_parts import (
    Component,
    Context,
    answers,
    collect_interval_flag,
    exporter,
    http_twin_argv,
    secret_file,
)

ORDER = 60
PUBLIC_KEY_FILE = "langfuse-public-key"
SECRET_KEY_FILE = "langfuse-secret-key"


def public_key_file(context: Context) -> Path:
    """The project's public key (pk-lf-...), for --public-key-file of the twin and the exporter."""
    return secret_file(context, PUBLIC_KEY_FILE, "pk-lf")


def secret_key_file(context: Context) -> Path:
    """The project's secret key (sk-lf-...), for --secret-key-file of the twin and the exporter."""
    return secret_file(context, SECRET_KEY_FILE, "sk-lf")


def _twin_argv(context: Context) -> list[str]:
    return [
        *http_twin_argv(context, "langfuse", "langfuse-twin"),
        "--public-key-file",
        str(public_key_file(context)),
        "--secret-key-file",
        str(secret_key_file(context)),
    ]


def _exporter_flags(context: Context) -> list[str]:
    """The exporter keeps its watermarks in the var directory and, on its first start, counts the last
    hour of the twin's history, so the 7-day baselines of the rules have data from the start."""
    return [
        f"--langfuse.url={context.url('langfuse-twin')}",
        f"--public-key-file={public_key_file(context)}",
        f"--secret-key-file={secret_key_file(context)}",
        f"--state.file={context.var_dir / 'langfuse-exporter-state.json'}",
        "--poll.initial-lookback=1h",
        collect_interval_flag(context),
    ]


COMPONENTS = [
    Component(
        name="langfuse-twin",
        title="Langfuse twin (public API)",
        argv=_twin_argv,
        ready=answers("langfuse-twin", "/api/public/health"),
        port=3030,
        links=(("health", "/api/public/health"),),
    ),
    exporter("langfuse", title="Langfuse exporter", port=9876, flags=_exporter_flags),
]
