"""The Langfuse twin's data: scenarios move scores, errors and cost; history size; limits; determinism."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from conftest import ORIGIN, MakeTwin, SetClock, get

from mock.errors import ScenarioFileError
from mock.scenario import Scenario, load_scenario_file
from mock.stack_parts import Context
from mock.stack_parts.langfuse import public_key_file, secret_key_file
from mock.twins.langfuse import events
from mock.twins.langfuse.server import LangfuseTwin
from mock.twins.langfuse.shapes import iso


def _query(
    twin: LangfuseTwin, path: str, start: float, end: float, **query: object
) -> list[dict[str, object]]:
    body = {"fromTimestamp": iso(ORIGIN + start), "toTimestamp": iso(ORIGIN + end), **query}
    response = get(twin, path, query=json.dumps(body))
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _helpfulness(twin: LangfuseTwin, start: float, end: float) -> float:
    rows = _query(
        twin, "/v2/metrics", start, end, view="scores-numeric",
        metrics=[{"measure": "value", "aggregation": "avg"}, {"measure": "count", "aggregation": "count"}],
        filters=[{"column": "name", "operator": "=", "value": "helpfulness", "type": "string"}],
    )  # fmt: skip
    assert int(rows[0]["count_count"]) >= 10  # 64-bit counts arrive as strings
    return float(rows[0]["avg_value"])


def _error_share(twin: LangfuseTwin, start: float, end: float) -> float:
    rows = _query(
        twin, "/v2/metrics", start, end, view="observations", dimensions=[{"field": "level"}],
        metrics=[{"measure": "count", "aggregation": "count"}],
        filters=[{"column": "type", "operator": "=", "value": "GENERATION", "type": "string"}],
    )  # fmt: skip
    counts = {row["level"]: int(row["count_count"]) for row in rows}
    return counts.get("ERROR", 0) / sum(counts.values())


def test_quality_regression_drops_helpfulness_and_raises_errors(
    make_twin: MakeTwin, set_clock: SetClock
) -> None:
    set_clock(2400.0, "langfuse-quality-regression")
    twin = make_twin()
    before, after = _helpfulness(twin, 0, 600), _helpfulness(twin, 1200, 2100)
    assert before > 0.7 and after < 0.5
    assert _error_share(twin, 0, 600) < 0.03 and _error_share(twin, 1200, 2100) > 0.07


def _cost_per_generation(twin: LangfuseTwin, start: float, end: float) -> dict[str, float]:
    rows = _query(
        twin, "/metrics", start, end, view="observations", dimensions=[{"field": "providedModelName"}],
        metrics=[
            {"measure": "count", "aggregation": "count"},
            {"measure": "totalCost", "aggregation": "sum"},
        ],
        filters=[{"column": "type", "operator": "=", "value": "GENERATION", "type": "string"}],
    )  # fmt: skip
    return {
        r["providedModelName"]: r["sum_totalCost"] / int(r["count_count"])
        for r in rows
        if r["providedModelName"]
    }


def test_peak_load_spikes_cost_per_generation(make_twin: MakeTwin, set_clock: SetClock) -> None:
    set_clock(1800.0, "normal")
    calm = _cost_per_generation(make_twin(), 0, 1800)
    set_clock(1800.0, "peak-load")
    spike = _cost_per_generation(make_twin(), 60, 1800)
    assert spike["gpt-4o"] > 3 * calm["gpt-4o"]


def test_ingestion_delay_hides_recent_events_and_down_fails_health(
    make_twin: MakeTwin, tmp_path: Path, scenarios: dict[str, Scenario]
) -> None:
    newest = get(make_twin(), "/traces", limit=1).json()["data"][0]["timestamp"]
    assert iso(ORIGIN + 3600 - 60) < newest <= iso(ORIGIN + 3600)
    lagging_twin = make_twin(scenarios={**scenarios, "normal": _scenario(tmp_path, "ingestion_delay: 900")})
    lagging = get(lagging_twin, "/traces", limit=1).json()["data"][0]["timestamp"]
    assert iso(ORIGIN + 3600 - 960) < lagging <= iso(ORIGIN + 3600 - 900)
    down = make_twin(scenarios={**scenarios, "normal": _scenario(tmp_path, "down: true")})
    assert get(down, "/health", auth=False).json() == {"status": "Health check failed", "version": "4.16.0"}
    assert get(down, "/traces").status_code == 503
    assert get(down, "/traces").json() == {"message": "Service Unavailable"}


def _scenario(tmp_path: Path, setting: str) -> Scenario:
    path = tmp_path / "normal.yml"
    path.write_text(
        "name: normal\ndescription: test\nalerts: []\npanels: []\n"
        f"phases:\n  - start: 0\n    langfuse:\n      {setting}\n"
    )
    return load_scenario_file(path)


def test_unknown_model_in_a_scenario_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(
        "name: bad\ndescription: test\nalerts: []\npanels: []\n"
        "phases:\n  - start: 0\n    langfuse:\n      models: {gpt-5: 1.0}\n"
    )
    with pytest.raises(ScenarioFileError, match="unknown model 'gpt-5'"):
        load_scenario_file(path)


def test_history_size_is_exact_and_pages_cost_the_same(
    make_twin: MakeTwin, monkeypatch: pytest.MonkeyPatch
) -> None:
    generated: list[int] = []
    original = events.Generator.batch

    def counting(self: events.Generator, lo: int, hi: int) -> events.Batch:
        generated.append(max(0, hi - lo))
        return original(self, lo, hi)

    monkeypatch.setattr(events.Generator, "batch", counting)
    results = {}
    for size in (10_000, 1_000_000):
        twin = make_twin(history_traces=size)
        generated.clear()
        window = {"fromStartTime": iso(ORIGIN + 3000), "toStartTime": iso(ORIGIN + 3600)}
        body = get(twin, "/v2/observations", limit=100, **window).json()
        history = get(twin, "/traces", limit=50, toTimestamp=iso(ORIGIN)).json()["meta"]["totalItems"]
        live = get(twin, "/traces", limit=50, fromTimestamp=iso(ORIGIN)).json()["meta"]["totalItems"]
        results[size] = (sum(generated), len(body["data"]), history, live)
    small, large = results[10_000], results[1_000_000]
    assert small[0] == large[0]  # the same work for the same live window, whatever the history
    assert small[1] == large[1] == 100
    assert abs(small[2] - 10_000) <= 1 and abs(large[2] - 1_000_000) <= 1  # the history asked for
    assert abs(small[3] - large[3]) <= 1 and small[3] > 500  # the same live traffic on top


def test_a_restarted_twin_serves_the_same_ids(make_twin: MakeTwin) -> None:
    first = [t["id"] for t in get(make_twin(), "/traces", limit=20).json()["data"]]
    second = [t["id"] for t in get(make_twin(), "/traces", limit=20).json()["data"]]
    assert first == second and len(set(first)) == 20


def test_cloud_hobby_rate_limit_answers_429_with_headers(make_twin: MakeTwin, set_clock: SetClock) -> None:
    twin = make_twin(cloud_plan="hobby")
    remaining = [int(get(twin, "/traces", limit=1).headers["X-RateLimit-Remaining"]) for _ in range(15)]
    assert remaining == list(range(14, -1, -1))
    refused = get(twin, "/traces", limit=1)
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Limit"] == "15" and refused.headers["X-RateLimit-Remaining"] == "0"
    retry = int(refused.headers["Retry-After"])
    assert 1 <= retry <= 60 and refused.json()["details"]["retryAfterSeconds"] == retry
    assert refused.json()["code"] == "rate_limited"
    assert get(twin, "/v3/scores", limit=1).status_code == 200  # another resource, its own budget
    set_clock(3600.0 + retry)
    assert get(twin, "/traces", limit=1).status_code == 200  # a new window in the twin's clock


def test_self_hosted_has_no_rate_limit_headers(twin: LangfuseTwin) -> None:
    assert "X-RateLimit-Limit" not in get(twin, "/traces", limit=1).headers


def test_stack_part_writes_private_key_files_once(tmp_path: Path) -> None:
    context = Context(var_dir=tmp_path, db=tmp_path / "mock.db", ports={}, twin_interval=1.0, script=str)
    public, secret = public_key_file(context), secret_key_file(context)
    assert public.read_text().startswith("pk-lf-") and secret.read_text().startswith("sk-lf-")
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert secret_key_file(context).read_text() == secret.read_text()


def test_cli_without_keys_is_one_line_and_exit_2(
    db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mock.cli import run  # noqa: PLC0415

    monkeypatch.delenv("LLMON_MOCK_LANGFUSE_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("LLMON_MOCK_LANGFUSE_SECRET_KEY", raising=False)
    assert run(["twin", "langfuse", "--db", str(db_path), "--listen", "127.0.0.1:0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--public-key-file" in err[0]
