"""The mock control API: switches scenarios and the clock for every twin."""

from __future__ import annotations

from mock.stack_parts import Component, Context, answers

ORDER = 0


def _argv(context: Context) -> list[str]:
    return [context.mock_cli, "control", "--db", str(context.db), "--listen", context.address("mock-control")]


COMPONENTS = [
    Component(
        name="mock-control",
        title="Mock control API",
        argv=_argv,
        ready=answers("mock-control", "/healthz"),
        port=9879,
        links=(("scenarios", "/api/v1/scenarios"),),
    ),
]
