"""The LiteLLM twin over real HTTP: auth, error shapes, pagination, daily activity, budgets, 429."""

from __future__ import annotations

import math

import httpx
import pytest
from litellm_support import MASTER_KEY, SetClock

from mock.cli import run
from mock.twins.litellm.server import LitellmTwin

AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}


def _get(twin: LitellmTwin, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(twin.url + path, timeout=10, **kwargs)  # type: ignore[arg-type]


def test_health_probes_need_no_key(twin: LitellmTwin) -> None:
    assert _get(twin, "/health/liveliness").json() == "I'm alive!"
    assert _get(twin, "/health/readiness").json() == {"status": "healthy", "db": "connected"}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Authentication Error, No api key passed in."),
        ({"Authorization": "Bearer sk-wrong"}, "Authentication Error, Invalid proxy server token passed."),
        ({"Authorization": MASTER_KEY}, "Authentication Error, Malformed API Key passed in."),
    ],
)
def test_admin_routes_answer_401_with_litellms_error_object(
    twin: LitellmTwin, headers: dict[str, str], message: str
) -> None:
    response = _get(twin, "/key/list", headers=headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == "401" and error["type"] == "auth_error"
    assert error["message"].startswith(message)
    assert MASTER_KEY not in response.text


def test_enterprise_route_is_403(twin: LitellmTwin) -> None:
    response = _get(twin, "/global/spend/report", headers=AUTH)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "403"


def test_key_list_pages_cover_every_key_once(twin: LitellmTwin, db: object) -> None:
    first = _get(twin, "/key/list", headers=AUTH, params={"size": 10, "page": 1}).json()
    assert all(isinstance(token, str) and len(token) == 64 for token in first["keys"])  # hashes by default
    total, pages = first["total_count"], first["total_pages"]
    assert pages == math.ceil(total / 10) and total == 24
    tokens: list[str] = []
    for page in range(1, pages + 1):
        body = _get(
            twin, "/key/list", headers=AUTH, params={"size": 10, "page": page, "return_full_object": "true"}
        )
        tokens += [key["token"] for key in body.json()["keys"]]
    assert len(tokens) == len(set(tokens)) == total
    oversized = _get(twin, "/key/list", headers=AUTH, params={"size": 500})
    assert oversized.status_code == 422 and oversized.json()["detail"][0]["loc"] == ["query", "size"]


def test_full_key_objects_carry_budgets_and_the_hash_only(twin: LitellmTwin) -> None:
    keys = _get(twin, "/key/list", headers=AUTH, params={"size": 100, "return_full_object": "true"}).json()[
        "keys"
    ]
    budgeted = [k for k in keys if k["max_budget"] is not None]
    assert budgeted and all(k["budget_duration"] in {"1d", "7d"} and k["budget_reset_at"] for k in budgeted)
    assert all(k["key_name"].startswith("sk-...") and len(k["key_name"]) == 10 for k in keys)
    assert all(k["spend"] >= 0.0 for k in keys)


def test_v2_team_list_is_paginated_and_one_team_is_unlimited(twin: LitellmTwin) -> None:
    body = _get(twin, "/v2/team/list", headers=AUTH, params={"page_size": 4}).json()
    assert (body["total"], body["total_pages"], len(body["teams"])) == (6, 2, 4)
    second = _get(twin, "/v2/team/list", headers=AUTH, params={"page_size": 4, "page": 2}).json()["teams"]
    teams = body["teams"] + second
    assert {t["team_alias"] for t in teams} >= {"research", "platform"}
    assert [t["max_budget"] for t in teams].count(None) == 1


def _activity(twin: LitellmTwin, path: str, first: str, last: str, page_size: int = 1000) -> list[dict]:
    results, page = [], 1
    while True:
        body = _get(
            twin,
            path,
            headers=AUTH,
            params={"start_date": first, "end_date": last, "page": page, "page_size": page_size},
        ).json()
        results += body["results"]
        if not body["metadata"]["has_more"]:
            return results
        page += 1


def test_daily_activity_pages_add_up_to_the_unpaged_answer(twin: LitellmTwin) -> None:
    gateway = twin.clock.gateway()
    first, last = gateway.date(-3), gateway.date(0)
    whole = _activity(twin, "/user/daily/activity", first, last)
    paged = _activity(twin, "/user/daily/activity", first, last, page_size=7)
    assert [r["date"] for r in whole] == [gateway.date(d) for d in (-3, -2, -1, 0)]
    total = sum(r["metrics"]["spend"] for r in whole)
    assert sum(r["metrics"]["spend"] for r in paged) == pytest.approx(total)
    day = whole[-1]
    assert sum(m["metrics"]["spend"] for m in day["breakdown"]["models"].values()) == pytest.approx(
        day["metrics"]["spend"]
    )
    assert set(day["breakdown"]["providers"]) == {"openai", "anthropic", "hosted_vllm"}
    metrics = day["metrics"]
    assert metrics["api_requests"] == metrics["successful_requests"] + metrics["failed_requests"]


def test_team_activity_breaks_down_by_team(twin: LitellmTwin) -> None:
    gateway = twin.clock.gateway()
    results = _activity(twin, "/team/daily/activity", gateway.date(-1), gateway.date(-1))
    entities = results[0]["breakdown"]["entities"]
    assert {e["metadata"]["team_alias"] for e in entities.values()} == {
        t.alias for t in gateway.world.teams.values()
    }


def test_todays_figures_grow_with_scenario_time(twin: LitellmTwin, set_clock: SetClock) -> None:
    before = twin.clock.gateway()
    set_clock(3600.0)
    after = twin.clock.gateway()
    assert after.today == before.today == 0
    rate = sum(f.requests_per_s for k in after.world.keys.values() for f in k.flows)
    grown = sum(f.api_requests for f in after.live_days[0]) - sum(f.api_requests for f in before.live_days[0])
    assert grown == pytest.approx(rate * 3600, rel=0.01)


def test_budget_exhaustion_stops_successful_spend_at_the_budget(
    twin: LitellmTwin, set_clock: SetClock
) -> None:
    set_clock(1800.0, "litellm-budget-exhausted")
    gateway = twin.clock.gateway()
    research = next(t for t in gateway.world.teams.values() if t.alias == "research")
    assert gateway.team_spend[research.team_id] == pytest.approx(research.budget.max_budget, rel=1e-4)
    rows = [f for f in gateway.live_days[0] if f.team_id == research.team_id]
    assert sum(f.failed_requests for f in rows) > sum(f.successful_requests for f in rows)


def test_budget_resets_at_the_period_boundary(twin: LitellmTwin, set_clock: SetClock) -> None:
    gateway = twin.clock.gateway()
    team = next(t for t in gateway.world.teams.values() if t.budget and t.budget.duration_days == 7)
    set_clock((team.budget.reset_day * 86400) - (gateway.origin % 86400) + 60.0)
    after = twin.clock.gateway()
    assert after.today == team.budget.reset_day
    assert after.team_spend[team.team_id] < gateway.team_spend[team.team_id]


def test_rate_limited_scenario_answers_429_with_retry_after(twin: LitellmTwin, set_clock: SetClock) -> None:
    set_clock(70.0, "rate-limited")  # the throttled phase
    statuses = [_get(twin, "/model/info", headers=AUTH) for _ in range(6)]
    assert [r.status_code for r in statuses] == [200] * 4 + [429] * 2
    throttled = statuses[-1]
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert throttled.json()["error"]["code"] == "429"
    assert _get(twin, "/health/readiness").status_code == 200  # probes are not throttled


def test_metrics_need_the_key_and_carry_litellms_labels(twin: LitellmTwin, set_clock: SetClock) -> None:
    assert _get(twin, "/metrics").status_code == 401
    set_clock(600.0, "provider-outage")
    text = _get(twin, "/metrics", headers=AUTH).text
    assert "# TYPE litellm_request_total_latency_metric histogram" in text
    assert 'hashed_api_key="' in text and 'user_email="' in text
    assert 'litellm_deployment_state{litellm_model_name="anthropic/claude-3-5-sonnet-20241022"' in text
    state = [
        line
        for line in text.splitlines()
        if line.startswith("litellm_deployment_state{") and "anthropic" in line
    ]
    assert state[0].endswith(" 2")


def test_the_date_header_is_the_gateways_clock(twin: LitellmTwin, set_clock: SetClock) -> None:
    set_clock(2 * 86400.0)
    date = _get(twin, "/health/liveliness").headers["Date"]
    assert twin.clock.gateway().date(2)[-2:] in date


def test_cli_refuses_to_start_without_a_master_key(
    db: object, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("LLMON_MOCK_LITELLM_MASTER_KEY", raising=False)
    assert run(["twin", "litellm", "--db", str(db)]) == 2
    assert capsys.readouterr().err.strip() == (
        "llmon-mock: error: give the master key with --master-key-file or LLMON_MOCK_LITELLM_MASTER_KEY"
    )
