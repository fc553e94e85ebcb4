"""The scenario clock: pure transitions, and the shared state in the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mock.clock import ClockState
from mock.db import current_clock, open_db, read_clock, read_history, switch_scenario, update_clock
from mock.errors import ClockError

T0 = 1_800_000_000.0


def fresh() -> ClockState:
    return ClockState("normal", 0, paused=False, speed=1.0, started_at=None, offset_s=0.0, origin_wall=None)


def test_an_unstarted_clock_starts_when_first_read() -> None:
    state = fresh()
    assert state.t(T0 + 50) == 0.0
    started = state.started(T0)
    assert (started.started_at, started.origin_wall) == (T0, T0)
    assert started.t(T0 + 12.5) == 12.5
    assert started.started(T0 + 99) == started  # starting twice changes nothing


def test_pause_freezes_and_resume_continues() -> None:
    running = fresh().started(T0)
    paused = running.paused_at(T0 + 10)
    assert paused.paused
    assert paused.t(T0 + 10) == paused.t(T0 + 1000) == 10.0
    resumed = paused.resumed_at(T0 + 500)
    assert not resumed.paused
    assert resumed.t(T0 + 505) == 15.0
    assert resumed.resumed_at(T0 + 600) == resumed  # resuming a running clock changes nothing


def test_jump_adds_scenario_seconds_running_or_paused() -> None:
    running = fresh().started(T0)
    assert running.jumped(300, T0 + 10).t(T0 + 10) == 310.0
    paused = running.paused_at(T0 + 10)
    assert paused.jumped(60, T0 + 20).t(T0 + 99) == 70.0


@pytest.mark.parametrize("seconds", [0.0, -5.0, float("nan"), float("inf")])
def test_jump_needs_a_positive_finite_amount(seconds: float) -> None:
    with pytest.raises(ClockError, match="positive"):
        fresh().jumped(seconds, T0)


def test_speed_scales_time_without_a_jump() -> None:
    running = fresh().started(T0)
    fast = running.with_speed(10.0, T0 + 5)
    assert fast.t(T0 + 5) == 5.0
    assert fast.t(T0 + 7) == 25.0
    with pytest.raises(ClockError, match="speed"):
        running.with_speed(0.0, T0)


def test_switching_scenario_restarts_t_and_bumps_the_generation() -> None:
    running = fresh().started(T0)
    switched = running.switched_to("peak-load", T0 + 40)
    assert (switched.scenario, switched.generation) == ("peak-load", 1)
    assert switched.t(T0 + 40) == 0.0
    assert switched.t(T0 + 43) == 3.0
    assert switched.origin_wall == T0  # the host's boot time does not move
    paused = running.paused_at(T0 + 5).switched_to("disk-full", T0 + 40)
    assert paused.paused and paused.t(T0 + 100) == 0.0


def test_the_database_clock_starts_once_and_keeps_its_origin(db_path: Path) -> None:
    with open_db(db_path) as conn:
        first = current_clock(conn, T0)
        again = current_clock(conn, T0 + 30)
    assert first.origin_wall == again.origin_wall == T0
    assert again.t(T0 + 30) == 30.0


def test_a_switch_records_how_long_the_previous_scenario_ran(db_path: Path) -> None:
    with open_db(db_path) as conn:
        current_clock(conn, T0)
        switch_scenario(conn, "peak-load", T0 + 120)
        update_clock(conn, lambda s: s.jumped(30, T0 + 130))
        switch_scenario(conn, "normal", T0 + 140)
        assert read_history(conn) == [("normal", 120.0), ("peak-load", 50.0)]
        state = read_clock(conn)
    assert (state.scenario, state.generation, state.t(T0 + 150)) == ("normal", 2, 10.0)


def test_a_failed_change_leaves_the_database_as_it_was(db_path: Path) -> None:
    with open_db(db_path) as conn:
        before = current_clock(conn, T0)
        with pytest.raises(ClockError):
            update_clock(conn, lambda s: s.jumped(-1, T0))
        assert read_clock(conn) == before
        assert not conn.in_transaction


def test_two_connections_see_each_others_changes(db_path: Path) -> None:
    with open_db(db_path) as writer, sqlite3.connect(db_path) as reader:
        switch_scenario(writer, "disk-full", T0)
        assert read_clock(reader).scenario == "disk-full"
