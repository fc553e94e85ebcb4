"""The Langfuse twin over real HTTP: auth, surfaces per version, shapes, pagination styles."""

from __future__ import annotations

import base64
import email.utils
import json

import pytest
from conftest import KEYS, ORIGIN, MakeTwin, basic, get

from mock.twins.langfuse.server import LangfuseTwin
from mock.twins.langfuse.shapes import iso

WINDOW = {"fromTimestamp": iso(ORIGIN + 1800), "toTimestamp": iso(ORIGIN + 3600)}
OBS_WINDOW = {"fromStartTime": WINDOW["fromTimestamp"], "toStartTime": WINDOW["toTimestamp"]}


def test_health_needs_no_key_and_reports_the_surface_version(make_twin: MakeTwin) -> None:
    for surface, version in (("v4", "4.16.0"), ("v3", "3.225.4"), ("v2", "2.95.12")):
        response = get(make_twin(api_version=surface), "/health", auth=False)
        assert response.status_code == 200
        assert response.json() == {"status": "OK", "version": version}


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "No authorization header"),
        ({"Authorization": "Token abc"}, 401, "Invalid authorization header"),
        (
            basic(KEYS.public, "sk-lf-wrong"),
            401,
            "Invalid credentials. Confirm that you've configured the correct host.",
        ),
        (
            basic("pk-lf-other", KEYS.secret),
            401,
            "Invalid credentials. Confirm that you've configured the correct host.",
        ),
        (
            basic(KEYS.org_public or "", KEYS.org_secret or ""),
            403,
            "Access denied - insufficient permissions for this endpoint",
        ),
    ],
)
def test_auth_failures_use_langfuses_status_and_message(
    twin: LangfuseTwin, headers: dict[str, str], status: int, message: str
) -> None:
    response = httpx_get(twin, "/api/public/traces", headers)
    assert response.status_code == status
    assert response.json() == {"message": message}
    assert KEYS.secret not in response.text


def httpx_get(twin: LangfuseTwin, path: str, headers: dict[str, str]):
    import httpx  # noqa: PLC0415

    return httpx.get(twin.url + path, headers=headers, timeout=10)


@pytest.mark.parametrize(
    ("surface", "path", "status"),
    [
        ("v2", "/traces", 200),
        ("v2", "/metrics/daily", 200),
        ("v2", "/scores", 200),
        ("v2", "/metrics", 404),
        ("v2", "/v2/scores", 404),
        ("v2", "/v3/scores", 404),
        ("v2", "/v2/observations", 404),
        ("v3", "/v2/scores", 200),
        ("v3", "/v3/scores", 200),
        ("v3", "/v2/observations", 404),
        ("v3", "/v2/metrics", 404),
        ("v4", "/v2/observations", 200),
        ("v4", "/v3/scores", 200),
        ("v4", "/traces", 200),
    ],
)
def test_each_surface_serves_its_generation_of_routes(
    make_twin: MakeTwin, surface: str, path: str, status: int
) -> None:
    query = json.dumps(
        {"view": "observations", "metrics": [{"measure": "count", "aggregation": "count"}], **WINDOW}
    )
    response = get(make_twin(api_version=surface), path, query=query, limit=5, **WINDOW, **OBS_WINDOW)
    assert response.status_code == status, response.text
    if surface == "v3" and status == 404:
        assert "only available in a Langfuse v4 write mode" in response.json()["message"]


def test_events_only_mode_answers_legacy_routes_404(make_twin: MakeTwin) -> None:
    twin = make_twin(events_only=True)
    assert get(twin, "/traces").status_code == 404
    assert "events_only" in get(twin, "/observations").json()["message"]
    assert get(twin, "/v2/observations").status_code == 200


def test_deprecation_only_on_cloud_v4_legacy_responses(make_twin: MakeTwin) -> None:
    cloud = make_twin(cloud_plan="pro")
    deprecation = get(cloud, "/traces", limit=1).json()["_deprecation"]
    assert deprecation["sunsetAt"] == "2026-11-16"
    assert deprecation["replacement"].startswith("GET /api/public/v2/observations")
    assert "_deprecation" not in get(cloud, "/v3/scores", limit=1).json()
    assert "_deprecation" not in get(make_twin(), "/traces", limit=1).json()  # self-hosted
    assert "_deprecation" not in get(make_twin(api_version="v3", cloud_plan="pro"), "/traces", limit=1).json()


def test_trace_pages_cover_the_window_once_newest_first(twin: LangfuseTwin) -> None:
    first = get(twin, "/traces", limit=100, **WINDOW).json()
    total = first["meta"]["totalItems"]
    assert first["meta"]["totalPages"] == -(-total // 100) and total > 100
    ids, stamps = [], []
    for page in range(1, first["meta"]["totalPages"] + 1):
        for trace in get(twin, "/traces", limit=100, page=page, **WINDOW).json()["data"]:
            ids.append(trace["id"])
            stamps.append(trace["timestamp"])
    assert len(ids) == len(set(ids)) == total
    assert stamps == sorted(stamps, reverse=True)
    assert WINDOW["fromTimestamp"] <= min(stamps) and max(stamps) < WINDOW["toTimestamp"]


def test_excluded_trace_metrics_are_minus_one(twin: LangfuseTwin) -> None:
    trace = get(twin, "/traces", limit=1, fields="core,io").json()["data"][0]
    assert trace["latency"] == -1 and trace["totalCost"] == -1
    assert "observations" not in trace and "scores" not in trace
    full = get(twin, "/traces", limit=1).json()["data"][0]
    assert full["latency"] > 0 and len(full["observations"]) == 3


def test_v2_observation_cursor_walk_matches_the_page_based_listing(twin: LangfuseTwin) -> None:
    legacy: set[str] = set()
    page = 1
    while True:
        body = get(twin, "/observations", limit=100, page=page, **OBS_WINDOW).json()
        legacy |= {o["id"] for o in body["data"]}
        if page >= body["meta"]["totalPages"]:
            break
        page += 1
    cursor_ids: list[str] = []
    params = {"limit": 250, **OBS_WINDOW}
    while True:
        body = get(twin, "/v2/observations", **params).json()
        cursor_ids += [o["id"] for o in body["data"]]
        if "cursor" not in body["meta"]:
            break
        json.loads(base64.b64decode(body["meta"]["cursor"]))  # Langfuse's cursor is base64 JSON
        params["cursor"] = body["meta"]["cursor"]
    assert len(cursor_ids) == len(set(cursor_ids))
    assert set(cursor_ids) == legacy and len(legacy) > 250


def test_v2_observations_return_only_the_requested_field_groups(twin: LangfuseTwin) -> None:
    default = get(twin, "/v2/observations", limit=5, type="GENERATION").json()["data"][0]
    assert (
        "usageDetails" not in default
        and "providedModelName" not in default
        and default["type"] == "GENERATION"
    )
    rich = get(
        twin, "/v2/observations", limit=20, type="GENERATION", fields="core,usage,model,metrics"
    ).json()["data"]
    priced = [o for o in rich if o["providedModelName"]]
    assert priced and all(isinstance(o["inputPrice"], str) for o in priced)  # Decimal prices as strings
    for o in priced:
        assert o["costDetails"]["total"] == pytest.approx(
            o["costDetails"]["input"] + o["costDetails"]["output"]
        )
        assert o["usageDetails"]["total"] == o["usageDetails"]["input"] + o["usageDetails"]["output"]
        assert 0 < o["timeToFirstToken"] < o["latency"]


def test_v3_scores_cursor_walk_matches_v2_scores(twin: LangfuseTwin) -> None:
    v2: set[str] = set()
    body = get(twin, "/v2/scores", limit=100, **WINDOW).json()
    for page in range(1, body["meta"]["totalPages"] + 1):
        v2 |= {s["id"] for s in get(twin, "/v2/scores", limit=100, page=page, **WINDOW).json()["data"]}
    v3: list[dict[str, object]] = []
    params: dict[str, object] = {"limit": 100, **WINDOW}
    while True:
        body = get(twin, "/v3/scores", **params).json()
        v3 += body["data"]
        if "cursor" not in body["meta"]:
            break
        params["cursor"] = body["meta"]["cursor"]
    assert {s["id"] for s in v3} == v2 and len(v3) == len(v2) > 100
    kinds = {s["dataType"]: type(s["value"]) for s in v3}
    assert kinds == {"NUMERIC": float, "BOOLEAN": bool, "CATEGORICAL": str}


def test_v1_scores_carry_value_and_string_value(twin: LangfuseTwin) -> None:
    scores = get(twin, "/scores", limit=100, dataType="BOOLEAN", **WINDOW).json()["data"]
    assert scores and all(s["dataType"] == "BOOLEAN" for s in scores)
    assert all(s["stringValue"] == ("True" if s["value"] == 1 else "False") for s in scores)


def test_bad_parameters_are_400_with_langfuses_body(twin: LangfuseTwin) -> None:
    for path, params in (
        ("/traces", {"limit": 101}),
        ("/v3/scores", {"cursor": "%%%"}),
        ("/traces", {"fromTimestamp": "yesterday"}),
    ):
        response = get(twin, path, **params)
        assert response.status_code == 400
        assert response.json()["message"] == "Invalid request data"


def test_date_header_is_the_virtual_clock(twin: LangfuseTwin) -> None:
    # the clock is frozen at t=3600 s of a scenario that started at ORIGIN, whatever the wall clock says
    assert get(twin, "/health", auth=False).headers["Date"] == email.utils.formatdate(
        ORIGIN + 3600, usegmt=True
    )


def test_an_unbounded_page_listing_over_a_long_history_is_refused_like_clickhouse(
    make_twin: MakeTwin,
) -> None:
    response = get(make_twin(), "/observations")
    assert response.status_code == 422
    assert response.json()["error"] == "Request timed out"
    assert get(make_twin(api_version="v2"), "/observations").json() == {"message": "Timeout error"}
    assert get(make_twin(), "/traces").status_code == 200  # unfiltered traces page by index: no scan
