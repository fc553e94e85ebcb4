"""The engine: pure, counters monotonic and equal to the integral of the scenario's rates."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import pytest

from mock.db import SeedSnapshot
from mock.engine import CpuTimes, HostState, counter_noise_bound, host_state
from mock.scenario import CALM, CPU_MODES, Scenario

ALL_MODES = (*CPU_MODES, "idle", "guest", "guest_nice")


def counters(state: HostState) -> dict[str, float]:
    """Every counter of a state, flattened: what rate() would be applied to."""
    out: dict[str, float] = {}
    for i, cpu in enumerate(state.cpus):
        out.update({f"cpu{i}.{mode}": getattr(cpu, mode) for mode in ALL_MODES})
    out.update({f"kernel.{k}": v for k, v in state.kernel.items()})
    for disk in state.disks:
        out.update({f"disk.{disk.seed.name}.{k}": v for k, v in disk.counters.items()})
    for nic in state.nics:
        out.update({f"net.{nic.seed.name}.{k}": v for k, v in nic.counters.items()})
    for resource, lines in state.pressure.items():
        out.update({f"psi.{resource}.{kind}": float(line.total_us) for kind, line in lines.items()})
    return out


def _assert_not_decreasing(before: dict[str, float], after: dict[str, float], context: str) -> None:
    went_back = {
        k: (before[k], after[k]) for k in before if after[k] < before[k] - 1e-6 * max(1.0, before[k])
    }
    assert not went_back, f"{context}: {went_back}"


def _smallest_host(snapshot: SeedSnapshot) -> int:
    return min(snapshot.hosts, key=lambda h: len(h.cpus)).id


def _mean_rate(a: HostState, b: HostState, pick: Callable[[HostState], float]) -> float:
    return (pick(b) - pick(a)) / (b.t - a.t)


def test_same_inputs_give_the_same_state_whatever_the_global_rngs_hold(
    scenarios: dict[str, Scenario], snapshot: SeedSnapshot
) -> None:
    history = [(scenarios["normal"], 123.4)]
    np.random.seed(1)
    random.seed(1)
    first = host_state(scenarios["peak-load"], snapshot, 1, 301.7, history)
    np.random.seed(2)
    random.seed(2)
    second = host_state(scenarios["peak-load"], snapshot, 1, 301.7, history)
    assert first == second
    assert host_state(scenarios["peak-load"], snapshot, 1, 302.7, history) != first


def test_before_any_scenario_the_counters_hold_the_hosts_calm_past(
    scenarios: dict[str, Scenario], snapshot: SeedSnapshot
) -> None:
    host = snapshot.hosts[0]
    state = host_state(scenarios["normal"], snapshot, host.id, 0.0)
    assert state.uptime_s == host.uptime_s
    for cpu in state.cpus:
        assert sum(getattr(cpu, m) for m in ALL_MODES) == pytest.approx(host.uptime_s, rel=1e-12)
        assert cpu.user == pytest.approx(host.uptime_s * CALM["cpu.user"], rel=1e-12)


@pytest.mark.parametrize("name", ["normal", "peak-load", "disk-full"])
def test_counters_never_decrease_as_scenario_time_passes(
    name: str, scenarios: dict[str, Scenario], snapshot: SeedSnapshot
) -> None:
    host_id = _smallest_host(snapshot)
    previous = counters(host_state(scenarios[name], snapshot, host_id, 0.0))
    for t in np.arange(3.3, 2000.0, 23.9):  # crosses ramps, phase starts and normal's loop at 900 s
        current = counters(host_state(scenarios[name], snapshot, host_id, float(t)))
        _assert_not_decreasing(previous, current, f"{name} at t={t:.1f}")
        previous = current


def test_a_scenario_switch_continues_every_counter_where_it_stood(
    scenarios: dict[str, Scenario], snapshot: SeedSnapshot
) -> None:
    normal, peak, disk_full = scenarios["normal"], scenarios["peak-load"], scenarios["disk-full"]
    host_id = snapshot.hosts[0].id
    end_of_normal = counters(host_state(normal, snapshot, host_id, 437.3))
    start_of_peak = counters(host_state(peak, snapshot, host_id, 0.0, [(normal, 437.3)]))
    assert start_of_peak.keys() == end_of_normal.keys()
    for key, value in end_of_normal.items():
        assert start_of_peak[key] == pytest.approx(value, rel=1e-12, abs=1e-6), key

    history = [(normal, 437.3)]
    previous = start_of_peak
    for t in (0.4, 12.5, 95.0):
        current = counters(host_state(peak, snapshot, host_id, t, history))
        _assert_not_decreasing(previous, current, f"peak-load t={t} after normal")
        previous = current
    # And back again: a second switch continues from the first one's end.
    history = [(normal, 437.3), (peak, 95.0)]
    current = counters(host_state(disk_full, snapshot, host_id, 0.0, history))
    _assert_not_decreasing(previous, current, "disk-full t=0 after peak-load")
    assert current["cpu0.user"] == pytest.approx(previous["cpu0.user"], rel=1e-12)


def test_counter_rates_equal_the_configured_rates(
    scenarios: dict[str, Scenario], snapshot: SeedSnapshot
) -> None:
    peak = scenarios["peak-load"]
    targets = peak.resolved_targets()[-1]
    host_id = snapshot.hosts[0].id
    start, end = (host_state(peak, snapshot, host_id, t) for t in (103.7, 403.7))  # after the 30 s ramp
    interval = end.t - start.t

    def bound(rate: float) -> float:
        return counter_noise_bound(rate, peak.noise, interval) + 1e-9

    for i in range(len(end.cpus)):
        for mode in CPU_MODES:
            rate = _mean_rate(start, end, lambda s, i=i, mode=mode: getattr(s.cpus[i], mode))
            assert rate == pytest.approx(targets[f"cpu.{mode}"], abs=bound(targets[f"cpu.{mode}"])), (i, mode)
        total = _mean_rate(start, end, lambda s, i=i: sum(getattr(s.cpus[i], m) for m in ALL_MODES))
        assert total == pytest.approx(1.0, abs=1e-9)  # every CPU accrues exactly one second per second

    whole_disks = [i for i, d in enumerate(end.disks) if d.seed.parent is None]
    written = _mean_rate(
        start, end, lambda s: sum(s.disks[i].counters["sectors_written"] for i in whole_disks)
    )
    assert written * 512 == pytest.approx(targets["disk.write_bytes"], abs=bound(targets["disk.write_bytes"]))

    ether = [i for i, n in enumerate(end.nics) if n.seed.kind == "ether"]
    expected_rx = targets["network.receive_bytes"] + sum(end.nics[i].seed.base_rate_bytes for i in ether)
    received = _mean_rate(start, end, lambda s: sum(s.nics[i].counters["rx_bytes"] for i in ether))
    assert received == pytest.approx(expected_rx, abs=bound(expected_rx))

    stalled = _mean_rate(start, end, lambda s: s.pressure["cpu"]["some"].total_us / 1e6)
    assert stalled == pytest.approx(targets["psi.cpu_some"], abs=bound(targets["psi.cpu_some"]) + 1e-6)
    # The bound is tight enough to mean something: under 1% of the rate here.
    assert bound(targets["cpu.user"]) < 0.01 * targets["cpu.user"]


def test_a_ramp_integrates_exactly(scenarios: dict[str, Scenario], snapshot: SeedSnapshot) -> None:
    """Over a linear ramp from CALM to the first phase, the mean rate is the average of both ends."""
    peak = scenarios["peak-load"]
    ramp = peak.phases[0].ramp
    target = peak.resolved_targets()[0]["cpu.user"]
    host_id = _smallest_host(snapshot)
    start, end = (host_state(peak, snapshot, host_id, t) for t in (0.0, ramp))
    rate = _mean_rate(start, end, lambda s: s.cpus[0].user)
    expected = (CALM["cpu.user"] + target) / 2
    assert rate == pytest.approx(expected, abs=counter_noise_bound(target, peak.noise, ramp) + 1e-9)


def test_a_looping_scenario_repeats_its_rates(scenarios: dict[str, Scenario], snapshot: SeedSnapshot) -> None:
    normal = scenarios["normal"]
    period = normal.duration
    assert normal.loop and period
    host_id = _smallest_host(snapshot)
    a, b, c = (host_state(normal, snapshot, host_id, t) for t in (55.0, 55.0 + period, 55.0 + 2 * period))
    first = _mean_rate(a, b, lambda s: s.cpus[0].user)
    second = _mean_rate(b, c, lambda s: s.cpus[0].user)
    highest = max(t["cpu.user"] for t in normal.resolved_targets())
    assert second == pytest.approx(first, abs=2 * counter_noise_bound(highest, normal.noise, period) + 1e-9)
    assert min(t["cpu.user"] for t in normal.resolved_targets()) < first < highest


def test_disk_full_fills_data_past_95_percent_within_a_minute_and_stays(
    scenarios: dict[str, Scenario], snapshot: SeedSnapshot
) -> None:
    disk_full = scenarios["disk-full"]

    def data(state: HostState) -> float:
        return next(fs for fs in state.filesystems if fs.seed.mountpoint == "/data").avail_ratio

    for host in snapshot.hosts:
        at = {t: host_state(disk_full, snapshot, host.id, t) for t in (0.0, 60.0, 600.0, 3600.0)}
        assert data(at[0.0]) > 0.05, host.hostname  # it starts from the seeded, healthy level
        assert data(at[60.0]) < 0.05, host.hostname
        assert data(at[3600.0]) <= data(at[600.0]) <= data(at[60.0]), host.hostname  # still filling
        assert data(at[3600.0]) < 0.05


def test_peak_load_drives_cpu_memory_and_pressure_to_alerting_levels(
    scenarios: dict[str, Scenario], snapshot: SeedSnapshot
) -> None:
    peak = scenarios["peak-load"]
    host_id = snapshot.hosts[0].id
    start, end = (host_state(peak, snapshot, host_id, t) for t in (60.0, 360.0))
    # Utilisation as the recording rule defines it: time not idle, not waiting for I/O, not stolen.
    not_busy = [
        _mean_rate(start, end, lambda s, i=i: s.cpus[i].idle + s.cpus[i].iowait + s.cpus[i].steal)
        for i in range(len(end.cpus))
    ]
    assert 1.0 - float(np.mean(not_busy)) > 0.9
    memory = end.memory_kb
    assert memory["MemAvailable"] / memory["MemTotal"] < 0.1
    assert end.pressure["cpu"]["some"].avg60 > 50.0
    assert end.pressure["memory"]["some"].avg60 > 20.0
    assert end.load[0] / len(end.cpus) > 1.0


def test_normal_stays_calm_for_a_whole_loop(scenarios: dict[str, Scenario], snapshot: SeedSnapshot) -> None:
    normal = scenarios["normal"]
    for host in snapshot.hosts:
        previous = host_state(normal, snapshot, host.id, 0.0)
        for t in np.arange(60.0, 1860.0, 60.0):
            state = host_state(normal, snapshot, host.id, float(t))
            idle = _mean_rate(previous, state, lambda s: sum(c.idle for c in s.cpus)) / len(state.cpus)
            assert 1.0 - idle < 0.5, (host.hostname, t)
            assert state.memory_kb["MemAvailable"] / state.memory_kb["MemTotal"] > 0.4
            assert all(fs.avail_ratio > 0.4 for fs in state.filesystems if fs.blocks), (host.hostname, t)
            assert state.pressure["cpu"]["some"].avg60 < 10.0
            assert state.pressure["memory"]["some"].avg60 < 1.0
            assert all(r.celsius < r.seed.max_c for r in state.sensors if r.seed.max_c is not None)
            previous = state


def test_counters_are_independent_per_cpu_but_sum_to_wall_time(
    scenarios: dict[str, Scenario], snapshot: SeedSnapshot
) -> None:
    state = host_state(scenarios["peak-load"], snapshot, snapshot.hosts[0].id, 247.3)
    users = {cpu.user for cpu in state.cpus}
    assert len(users) > 1  # each CPU has its own deterministic noise
    assert isinstance(state.cpus[0], CpuTimes)
    for cpu in state.cpus:
        assert sum(getattr(cpu, m) for m in ALL_MODES) == pytest.approx(state.uptime_s, rel=1e-12)


@pytest.mark.parametrize("t", [-1.0, float("nan"), float("inf")])
def test_scenario_time_must_be_finite_and_not_negative(
    t: float, scenarios: dict[str, Scenario], snapshot: SeedSnapshot
) -> None:
    with pytest.raises(ValueError, match="scenario time"):
        host_state(scenarios["normal"], snapshot, 1, t)
