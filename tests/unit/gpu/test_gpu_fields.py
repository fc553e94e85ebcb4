"""Every field family of the GPU exporter against the twin's own state at the same scenario time."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from conftest import expected_states, hostnames
from gpu_helpers import samples, series, value

from exporters.gpu.device import CLOCK_EVENT_REASONS
from mock.db import open_db, update_clock
from tests.unit.mock_clock import play

T = 200.0  # well past every ramp of the scenarios used here


def test_levels_power_memory_and_clocks_match_the_twin(db: Path, make_source) -> None:
    play(db, "gpu-thermal-throttle", T)
    source, _ = make_source()
    found = samples(source.collect())
    states = expected_states(db, "gpu-thermal-throttle", T)
    assert len(series(found, "llmon_gpu_up")) == len(states) == 8
    for state in states:
        ids = {"gpu": str(state.seed.index), "uuid": state.seed.uuid}
        assert value(found, "llmon_gpu_up", **ids) == 1.0
        assert value(found, "llmon_gpu_temperature_celsius", **ids) == round(state.temperature)
        # NVML's units (mW, mJ) converted to base units: the twin rounds to them as the driver does
        assert value(found, "llmon_gpu_power_usage_watts", **ids) == pytest.approx(
            round(1000 * state.power_w) / 1000
        )
        assert value(found, "llmon_gpu_power_limit_watts", **ids) == pytest.approx(
            state.power_limit_w, abs=1e-3
        )
        assert value(found, "llmon_gpu_energy_joules_total", **ids) == pytest.approx(state.energy_j, abs=1e-3)
        assert value(found, "llmon_gpu_memory_used_bytes", **ids) == state.memory_used
        assert value(found, "llmon_gpu_memory_total_bytes", **ids) == state.seed.memory_total
        assert value(found, "llmon_gpu_clock_hz", **ids, clock="sm") == state.sm_clock_mhz * 1e6
        assert value(found, "llmon_gpu_clock_max_hz", **ids, clock="sm") == state.seed.sm_clock_max_mhz * 1e6
        assert value(found, "llmon_gpu_temperature_threshold_celsius", **ids, threshold="slowdown") == (
            state.seed.temp_slowdown_c
        )
        for reason, bit in CLOCK_EVENT_REASONS:
            active = value(found, "llmon_gpu_clock_event_active", **ids, reason=reason)
            assert active == float(bool(state.reasons & bit))
        if not state.seed.mig_enabled:
            assert value(found, "llmon_gpu_utilization_ratio", **ids) == round(100 * state.utilization) / 100
        assert value(found, "llmon_gpu_ecc_errors_total", **ids, type="corrected", counter="aggregate") == (
            state.seed.ecc_corrected_aggregate
        )


def test_thermal_scenario_reports_thermal_slowdown_and_lower_clocks(db: Path, make_source) -> None:
    play(db, "normal", 10.0)
    source, _ = make_source(cache_s=0.0)
    calm = samples(source.collect())
    play(db, "gpu-thermal-throttle", T)
    hot = samples(source.collect())
    ids = series(hot, "llmon_gpu_up")[0]
    assert value(hot, "llmon_gpu_clock_event_active", **ids, reason="sw_thermal_slowdown") == 1.0
    assert value(calm, "llmon_gpu_clock_event_active", **ids, reason="sw_thermal_slowdown") == 0.0
    assert value(hot, "llmon_gpu_clock_hz", **ids, clock="sm") < value(
        calm, "llmon_gpu_clock_hz", **ids, clock="sm"
    )


def test_energy_counter_grows_by_the_reported_power(db: Path, make_source) -> None:
    play(db, "gpu-memory-pressure", 300.0)
    source, _ = make_source(cache_s=0.0)
    before = samples(source.collect())
    play_more = 100.0
    with open_db(db) as conn:
        update_clock(conn, lambda s: s.jumped(play_more, time.time()))
    after = samples(source.collect())
    ids = series(after, "llmon_gpu_up")[0]
    joules = value(after, "llmon_gpu_energy_joules_total", **ids) - value(
        before, "llmon_gpu_energy_joules_total", **ids
    )
    watts = value(after, "llmon_gpu_power_usage_watts", **ids)
    assert math.isclose(joules / play_more, watts, rel_tol=0.01)


def test_mig_gpu_lists_its_instances_and_omits_device_utilization(db: Path, make_source) -> None:
    play(db, "normal", 10.0)
    source, _ = make_source()
    found = samples(source.collect())
    states = expected_states(db, "normal", 10.0)
    mig_gpu = next(state for state in states if state.seed.mig_enabled)
    ids = {"gpu": str(mig_gpu.seed.index), "uuid": mig_gpu.seed.uuid}
    instances = series(found, "llmon_gpu_mig_info")
    assert sorted((i["profile"], i["gpu_instance_id"]) for i in instances) == sorted(
        (m.profile, str(m.gpu_instance_id)) for m in mig_gpu.seed.mig
    )
    for mig, used in zip(mig_gpu.seed.mig, mig_gpu.mig_used, strict=True):
        instance = {**ids, "gpu_instance_id": str(mig.gpu_instance_id)}
        assert value(found, "llmon_gpu_mig_memory_total_bytes", **instance) == mig.memory_bytes
        assert value(found, "llmon_gpu_mig_memory_used_bytes", **instance) == used
    assert ("llmon_gpu_utilization_ratio", frozenset(ids.items())) not in found
    assert next(i for i in series(found, "llmon_gpu_info") if i["gpu"] == ids["gpu"])["mig_mode"] == "enabled"


def test_nvlink_links_reported_where_present(db: Path, make_source) -> None:
    play(db, "normal", 10.0)
    source, _ = make_source()
    found = samples(source.collect())
    links = {(s["gpu"], s["link"]) for s in series(found, "llmon_gpu_nvlink_up")}
    assert links == {(str(gpu), str(link)) for gpu in range(8) for link in range(18)}  # H100 SXM: 18 links
    assert value(found, "llmon_gpu_nvlink_errors_total", **series(found, "llmon_gpu_up")[0], link="0",
                 counter="replay") == 0.0  # fmt: skip


def test_geforce_fields_are_omitted_and_asked_only_once(db: Path, make_source) -> None:
    host = hostnames(db)["ws-rtx4090"]
    play(db, "normal", 10.0)
    source, module = make_source(gpu_mock_host=host)
    first = samples(source.collect())
    calls_after_first = dict(module.calls)
    second = samples(source.collect())
    for family in ("llmon_gpu_ecc_errors_total", "llmon_gpu_remapped_rows_total", "llmon_gpu_nvlink_up",
                   "llmon_gpu_mig_info", "llmon_gpu_memory_temperature_celsius"):  # fmt: skip
        assert series(first, family) == [] and series(second, family) == []
    for function in ("nvmlDeviceGetTotalEccErrors", "nvmlDeviceGetRemappedRows", "nvmlDeviceGetMigMode",
                     "nvmlDeviceGetNvLinkState", "nvmlDeviceGetSerial"):  # fmt: skip
        assert module.calls[function] == calls_after_first[function] > 0, function
    # what the board does support is read on every scrape, and the fan is there on GeForce
    assert module.calls["nvmlDeviceGetPowerUsage"] == 2 * calls_after_first["nvmlDeviceGetPowerUsage"]
    assert len(series(second, "llmon_gpu_fan_speed_ratio")) == 2
    assert {i["serial"] for i in series(second, "llmon_gpu_info")} == {""}


@pytest.mark.parametrize("missing", ["nvmlDeviceGetCurrentClocksEventReasons"])
def test_clock_events_fall_back_to_the_throttle_reasons_call(db: Path, make_source, missing: str) -> None:
    play(db, "gpu-thermal-throttle", T)
    source, module = make_source()

    class OldDriver(type(module)):
        """A binding without the new call, like nvidia-ml-py before 12.535."""

    module.__class__ = type("OldDriver", (OldDriver,), {missing: property(lambda self: None)})
    found = samples(source.collect())
    assert module.calls["nvmlDeviceGetCurrentClocksThrottleReasons"] == 8
    ids = series(found, "llmon_gpu_up")[0]
    assert value(found, "llmon_gpu_clock_event_active", **ids, reason="sw_thermal_slowdown") == 1.0
