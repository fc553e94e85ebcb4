"""Exporter restarts: with --state.file the usage counters carry on as if the exporter never stopped.

The ground truth is the twin's own daily figures; "increase" is what Prometheus' increase() reads from
the counter across the restart (no reset: the later value minus the earlier one).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from litellm_support import MASTER_KEY, SetClock
from prometheus_client.parser import text_string_to_metric_families

from exporters.base import ConfigError
from exporters.litellm.config import LitellmSettings
from exporters.litellm.sources import build_sources
from mock.twins.litellm.server import LitellmTwin

REPO = Path(__file__).parents[3]
TEAM = "search"
SPEND = "llmon_litellm_team_spend_usd_total"
REQUESTS = "llmon_litellm_team_requests_total"
KEY_SPEND = "llmon_litellm_key_spend_usd_total"
WAIT_SECONDS = 30.0


def _truth(twin: LitellmTwin, field: str) -> float:
    """The team's live figures of today and yesterday (the poll window). Seeded history before the
    scenario's day 0 does not move with the clock, so differences of this are the true growth, across
    midnight too."""
    gateway = twin.clock.gateway()
    team = next(t for t in gateway.world.teams.values() if t.alias == TEAM)
    return sum(
        getattr(f, field)
        for day in (gateway.today - 1, gateway.today)
        for f in gateway.live_days.get(day, [])
        if f.team_id == team.team_id
    )


@dataclass
class RunningExporter:
    """llmon-litellm-exporter in a process of its own, so the test can SIGKILL it."""

    process: subprocess.Popen[str]
    url: str

    def counter(self, name: str) -> float | None:
        text = httpx.get(self.url + "/metrics", timeout=5).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and sample.labels.get("team") == TEAM:
                    return sample.value
        return None

    def wait_for(self, name: str, value: float) -> float:
        """The counter once it reads ``value`` (the exporter polls every second)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while (current := self.counter(name)) is None or abs(current - value) > 1e-6:
            assert time.monotonic() < deadline, f"{name} stayed at {current}, expected {value}"
            time.sleep(0.1)
        return current


def _start(twin: LitellmTwin, state_file: Path) -> RunningExporter:
    env = {**os.environ, "LLMON_LITELLM_MASTER_KEY": MASTER_KEY}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "exporters.litellm",
            f"--litellm.url={twin.url}",
            f"--state.file={state_file}",
            "--collect.interval=1",
            "--web.listen-address=127.0.0.1:0",
            "--log.format=json",
        ],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        record = json.loads(line)
        if record.get("msg") == "listening":
            return RunningExporter(process, f"http://{record['address']}")
    pytest.fail(f"the exporter exited with {process.wait()} before listening", pytrace=False)


@pytest.fixture
def exporters() -> Iterator[list[RunningExporter]]:
    """Every exporter a test starts is killed at the end, whatever happened."""
    started: list[RunningExporter] = []
    yield started
    for exporter in started:
        exporter.process.kill()
        exporter.process.wait()
        assert exporter.process.stderr is not None
        exporter.process.stderr.close()


@pytest.mark.parametrize(
    "times",
    [(600.0, 2400.0), (19 * 3600.0 - 300, 19 * 3600.0 + 1800)],
    ids=["same-day", "across-midnight"],
)
def test_a_killed_exporter_resumes_its_counters_from_the_state_file(
    twin: LitellmTwin,
    set_clock: SetClock,
    tmp_path: Path,
    exporters: list[RunningExporter],
    times: tuple[float, float],
) -> None:
    """``times``: (scenario time of the last poll before the kill, time of the restart)."""
    before, down_until = times
    state = tmp_path / "litellm-state.json"
    set_clock(before - 600.0)
    first = _start(twin, state)
    exporters.append(first)
    first.wait_for(SPEND, 0.0)  # the baseline
    spend_at_start, requests_at_start = _truth(twin, "spend"), _truth(twin, "api_requests")
    set_clock(before)
    spend_before = first.wait_for(SPEND, _truth(twin, "spend") - spend_at_start)
    requests_before = first.wait_for(REQUESTS, _truth(twin, "api_requests") - requests_at_start)
    truth_spend, truth_requests = _truth(twin, "spend"), _truth(twin, "api_requests")

    first.process.send_signal(signal.SIGKILL)  # no chance to save anything on the way out
    first.process.wait()
    set_clock(down_until)  # traffic goes on while the exporter is down
    second = _start(twin, state)
    exporters.append(second)

    spend_growth = _truth(twin, "spend") - truth_spend
    requests_growth = _truth(twin, "api_requests") - truth_requests
    assert spend_growth > 0 and requests_growth > 0
    spend_after = second.wait_for(SPEND, spend_before + spend_growth)
    requests_after = second.wait_for(REQUESTS, requests_before + requests_growth)
    assert spend_after - spend_before == pytest.approx(spend_growth, abs=1e-6)  # increase() = truth
    assert requests_after - requests_before == pytest.approx(requests_growth)


def _settings(url: str, state: Path) -> LitellmSettings:
    return LitellmSettings(litellm_url=url, master_key=MASTER_KEY, collect_interval=1, state_file=state)  # type: ignore[arg-type]


def _key_labels(settings: LitellmSettings) -> set[str]:
    activity = build_sources(settings)[2]
    return {s.labels["key"] for f in activity.collect() for s in f.samples if s.name == KEY_SPEND}


def test_a_restart_gives_the_keys_the_labels_the_state_admitted(twin: LitellmTwin, tmp_path: Path) -> None:
    """With 5 keys labelled, a restarted exporter labels the 5 keys its state names, even where the
    order of the proxy's rows would have admitted others first."""
    state = tmp_path / "state.json"
    every_key = _key_labels(_settings(twin.url, tmp_path / "uncapped.json"))
    capped = _settings(twin.url, state).model_copy(update={"max_keys": 5})
    first_come = _key_labels(capped) - {"other"}
    saved = json.loads(state.read_text())
    others = sorted(every_key - first_come)[:5]
    saved["labels"]["key"] = others  # as if an earlier run had admitted these; its key counters go too
    saved["totals"] = [row for row in saved["totals"] if row[0] != "key"]
    saved["seen"] = [row for row in saved["seen"] if row[0] != "key"]
    state.write_text(json.dumps(saved))
    assert _key_labels(capped) == {*others, "other"}


def test_a_state_of_another_proxy_is_ignored(twin: LitellmTwin, set_clock: SetClock, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = build_sources(_settings(twin.url, state))[2]  # the activity source
    list(first.collect())
    set_clock(600.0)
    list(first.collect())
    saved = json.loads(state.read_text())
    saved["litellm_url"] = "http://other-proxy:4000"
    state.write_text(json.dumps(saved))
    restarted = build_sources(_settings(twin.url, state))[2]
    spend = {s.labels["team"]: s.value for f in restarted.collect() for s in f.samples if s.name == SPEND}
    assert spend[TEAM] == 0.0  # a baseline, not the other proxy's totals


@pytest.mark.parametrize("content", ["{not json", '{"version": 1, "totals": 3}', '["a list"]'])
def test_a_file_that_is_not_a_state_stops_the_start_in_one_line(tmp_path: Path, content: str) -> None:
    state = tmp_path / "state.json"
    state.write_text(content)
    with pytest.raises(ConfigError) as caught:
        build_sources(_settings("http://127.0.0.1:4000", state))
    assert caught.value.option == "--state.file" and "move it away" in caught.value.reason


def test_the_state_directory_must_exist(
    capsys: pytest.CaptureFixture[str], monkeypatch, tmp_path: Path
) -> None:
    from exporters.base import run  # noqa: PLC0415
    from exporters.litellm.__main__ import SPEC  # noqa: PLC0415

    monkeypatch.setenv("LLMON_LITELLM_MASTER_KEY", MASTER_KEY)
    assert run(SPEC, ["--check-config", f"--state.file={tmp_path / 'missing' / 'state.json'}"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("llmon-litellm-exporter: error: --state.file: directory") and "\n" not in error


def test_an_unwritable_state_is_counted_and_the_poll_still_served(twin: LitellmTwin, tmp_path: Path) -> None:
    directory = tmp_path / "state-dir"
    directory.mkdir()
    source = build_sources(_settings(twin.url, directory / "state.json"))[2]
    directory.rmdir()
    directory.write_text("a file where the directory was\n")  # even root cannot write into this
    families = {f.name: f for f in source.collect()}
    assert families["llmon_litellm_state_write_errors"].samples[0].value == 1
    assert any(s.labels.get("team") == TEAM for s in families[SPEND.removesuffix("_total")].samples)
