"""Driving a test's copy of the mock database to a fixed instant of a scenario."""

from __future__ import annotations

import time
from pathlib import Path

from mock.db import open_db, switch_scenario, update_clock


def play(db: Path, scenario: str, t: float) -> None:
    """Make ``scenario`` active and freeze its clock at ``t`` seconds: the twins' state no longer moves."""
    now = time.time()
    with open_db(db) as conn:
        switch_scenario(conn, scenario, now)
        update_clock(conn, lambda s: s.paused_at(now))
        if t > 0:
            update_clock(conn, lambda s: s.jumped(t, now))
