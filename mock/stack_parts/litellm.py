"""The LiteLLM slice: the LiteLLM proxy twin (admin API) and llmon's LiteLLM exporter reading it.

Both read the master key from one file under the stack's var directory, created on first use with a
fresh random key (owner-only permissions): no key is committed, and none appears on a command line.
The exporter also scrapes the twin's /metrics (``--scrape-metrics``) so the latency and deployment
panels and alerts have data.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from mock.stack_parts import Component, Context, answers, collect_interval_flag, exporter, http_twin_argv

ORDER = 40
KEY_FILE = "litellm-master-key"


def master_key_file(context: Context) -> Path:
    """The shared master key file, written once (atomically, mode 0600) and reused afterwards."""
    path = context.var_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{KEY_FILE}.{os.getpid()}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"sk-{secrets.token_urlsafe(24)}\n")
        os.replace(partial, path)
    return path


def _twin_argv(context: Context) -> list[str]:
    key_file = str(master_key_file(context))
    return [*http_twin_argv(context, "litellm", "litellm-twin"), "--master-key-file", key_file]


def _exporter_flags(context: Context) -> list[str]:
    return [
        f"--litellm.url={context.url('litellm-twin')}",
        f"--master-key-file={master_key_file(context)}",
        "--scrape-metrics",
        collect_interval_flag(context),
    ]


COMPONENTS = [
    Component(
        name="litellm-twin",
        title="LiteLLM proxy twin",
        argv=_twin_argv,
        ready=answers("litellm-twin", "/health/liveliness"),
        port=4000,
        links=(("readiness", "/health/readiness"),),
    ),
    exporter("litellm", title="LiteLLM exporter", port=9875, flags=_exporter_flags),
]
