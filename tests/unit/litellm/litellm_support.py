"""Constants and types shared by the LiteLLM tests (a module of its own: every conftest is "conftest")."""

from __future__ import annotations

from collections.abc import Callable

MASTER_KEY = "sk-llmon-test-MASTER-8c1f0e77a1"
#: 05:00 UTC, so an hour of scenario time stays within day 0 and 20 hours cross midnight.
ORIGIN = 1_790_000_000.0 - (1_790_000_000.0 % 86400) + 5 * 3600

SetClock = Callable[..., None]
