"""The LiteLLM slice: the LiteLLM proxy twin (admin API) and llmon's LiteLLM exporter reading it.

Both read the master key from one file under the stack's var directory, created on first use with a
fresh random key (owner-only permissions): no key is committed, and none appears on a command line.
The exporter also scrapes the twin's /metrics (``--scrape-metrics``) so the latency and deployment
panels and alerts have data.
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

ORDER = 40
KEY_FILE = "litellm-master-key"


def master_key_file(context: Context) -> Path:
    """The shared master key file (see secret_file)."""
    return secret_file(context, KEY_FILE, "sk")


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
