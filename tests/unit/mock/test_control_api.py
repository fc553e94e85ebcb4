"""The JSON control API over real HTTP on a free port: endpoints, state changes, error shapes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock.control import MAX_BODY_BYTES, ControlServer, ControlService
from mock.scenario import Scenario


@pytest.fixture
def api(db_path: Path, scenarios: dict[str, Scenario]) -> Iterator[httpx.Client]:
    server = ControlServer(ControlService(db_path, scenarios), "127.0.0.1", 0)
    with server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def _error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert "\n" not in error["message"]
    return error


def test_healthz(api: httpx.Client) -> None:
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_scenarios_lists_every_scenario_and_the_active_one(
    api: httpx.Client, scenarios: dict[str, Scenario]
) -> None:
    body = api.get("/api/v1/scenarios").json()
    assert body["active"] == "normal"
    listed = {s["name"]: s for s in body["scenarios"]}
    assert listed.keys() == scenarios.keys()
    assert [name for name, s in listed.items() if s["active"]] == ["normal"]
    assert listed["disk-full"]["alerts"] == scenarios["disk-full"].alerts
    assert listed["normal"]["panels"] == scenarios["normal"].panels
    assert listed["normal"]["loop"] is True


def test_status_reports_the_clock(api: httpx.Client) -> None:
    body = api.get("/api/v1/status").json()
    assert body.keys() == {"scenario", "generation", "t", "paused", "speed"}
    assert body["scenario"] == "normal"
    assert isinstance(body["t"], float) and body["t"] >= 0
    assert body["paused"] is False
    assert body["speed"] == 1.0


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_switching_scenario(api: httpx.Client, method: str) -> None:
    response = api.request(method, "/api/v1/scenario", json={"name": "peak-load"})
    assert response.status_code == 200
    assert response.json()["scenario"] == "peak-load"
    assert response.json()["generation"] == 1
    status = api.get("/api/v1/status").json()
    assert (status["scenario"], status["generation"]) == ("peak-load", 1)


def test_unknown_scenario_is_404_and_changes_nothing(
    api: httpx.Client, db_path: Path, scenarios: dict[str, Scenario]
) -> None:
    api.get("/api/v1/status")  # the first read starts the clock (a write); hash after it
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    error = _error(api.put("/api/v1/scenario", json={"name": "nope"}), 404, "scenario_not_found")
    assert error["details"] == {"name": "nope", "known": sorted(scenarios)}
    assert error["message"].startswith("unknown scenario 'nope'")
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


def test_clock_actions(api: httpx.Client) -> None:
    paused = api.post("/api/v1/clock", json={"action": "pause"}).json()
    assert paused["paused"] is True
    jumped = api.post("/api/v1/clock", json={"action": "jump", "seconds": 300}).json()
    assert jumped["t"] == pytest.approx(paused["t"] + 300, abs=1e-3)
    fast = api.post("/api/v1/clock", json={"action": "speed", "factor": 5}).json()
    assert fast["speed"] == 5.0
    resumed = api.post("/api/v1/clock", json={"action": "resume"}).json()
    assert resumed["paused"] is False


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"action": "rewind"}, "invalid_request", "action"),
        ({}, "invalid_request", "action"),
        ({"action": "jump", "seconds": "ten"}, "invalid_request", "seconds"),
        ({"action": "jump", "seconds": True}, "invalid_request", "seconds"),
    ],
)
def test_bad_clock_requests_are_400(
    api: httpx.Client, body: dict[str, object], code: str, field: str
) -> None:
    error = _error(api.post("/api/v1/clock", json=body), 400, code)
    assert error["details"]["field"] == field


@pytest.mark.parametrize(
    "body", [{"action": "jump"}, {"action": "jump", "seconds": -10}, {"action": "speed"}]
)
def test_clock_actions_with_missing_or_invalid_amounts_are_400(
    api: httpx.Client, body: dict[str, object]
) -> None:
    _error(api.post("/api/v1/clock", json=body), 400, "invalid_request")


def test_bad_json_is_400(api: httpx.Client) -> None:
    response = api.put("/api/v1/scenario", content=b"{not json", headers={"content-type": "application/json"})
    _error(response, 400, "invalid_json")
    _error(api.put("/api/v1/scenario", json=["peak-load"]), 400, "invalid_request")
    error = _error(api.put("/api/v1/scenario", json={"name": 3}), 400, "invalid_request")
    assert error["details"] == {"field": "name"}


def test_a_huge_body_is_413(api: httpx.Client) -> None:
    response = api.put("/api/v1/scenario", content=b"x" * (MAX_BODY_BYTES + 1))
    _error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/status", "GET"),
        ("GET", "/api/v1/clock", "POST"),
        ("GET", "/api/v1/scenario", "POST, PUT"),
    ],
)
def test_wrong_method_is_405_with_allow(api: httpx.Client, method: str, path: str, allowed: str) -> None:
    response = api.request(method, path)
    error = _error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed
    assert error["details"] == {"allowed": allowed.split(", ")}


def test_unknown_path_is_404(api: httpx.Client) -> None:
    error = _error(api.get("/api/v2/everything"), 404, "not_found")
    assert error["details"] == {"path": "/api/v2/everything"}


def test_an_unreadable_database_is_503(tmp_path: Path, scenarios: dict[str, Scenario]) -> None:
    service = ControlService(tmp_path / "missing.db", scenarios)
    with ControlServer(service, "127.0.0.1", 0) as server, httpx.Client(base_url=server.url) as client:
        error = _error(client.get("/api/v1/status"), 503, "database_unavailable")
        assert "not found" in error["message"]
        assert client.get("/healthz").status_code == 200  # the process itself is fine
