"""Errors the mock raises for bad input or a broken environment.

Every one of them renders as a single human sentence (``str(error)``) so the CLI can print
``llmon-mock: error: <sentence>`` and exit, and the control API can put the same sentence in its
JSON error body. Nothing here ever carries a traceback to the user.
"""

from __future__ import annotations


class MockError(Exception):
    """Base class: an expected failure with a one-line message for a person."""


class ScenarioFileError(MockError):
    """A scenario YAML file that cannot be read or does not validate."""

    def __init__(self, path: str, field: str | None, reason: str) -> None:
        self.path = path
        self.field = field
        self.reason = reason
        where = f"{path}: {field}" if field else path
        super().__init__(f"{where}: {reason}")


class _UnknownNameError(MockError):
    """A name that is none of the known ones; the message lists them so the user can pick one."""

    what: str  # the kind of name, as the message calls it

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown {self.what} {name!r} (known: {', '.join(self.known)})")


class UnknownScenarioError(_UnknownNameError):
    """A scenario name that has no file in the scenarios directory."""

    what = "scenario"


class UnknownHostError(_UnknownNameError):
    """A host name that is not in the seed database."""

    what = "host"


class DatabaseError(MockError):
    """The mock database is missing, unreadable or not a mock database."""


class ClockError(MockError):
    """A clock action with an invalid argument (e.g. a jump by a negative amount)."""
