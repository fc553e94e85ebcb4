"""LiteLLM's JSON shapes (proxy 1.7x-1.8x), built from the gateway state.

Field names and nesting follow LiteLLM's pydantic models: ``LiteLLM_VerificationToken`` rows for
``/key/list?return_full_object=true``, ``LiteLLM_TeamTable`` rows for ``/v2/team/list``,
``SpendAnalyticsPaginatedResponse`` for the daily activity endpoints (results per date with
``metrics`` and a ``breakdown`` by models, model_groups, providers, api_keys and entities, and a
``metadata`` block with totals and paging). Only fields an operator's tooling reads are filled in;
LiteLLM's defaults (empty lists and objects) stand in for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from mock.twins.litellm.state import Gateway
from mock.twins.litellm.world import Budget, Key, Model, Team, User

METRIC_FIELDS = (
    "spend",
    "prompt_tokens",
    "completion_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "total_tokens",
    "successful_requests",
    "failed_requests",
    "api_requests",
)


def iso(unix: float | None) -> str | None:
    return None if unix is None else datetime.fromtimestamp(unix, UTC).isoformat()


def budget_reset_at(gateway: Gateway, budget: Budget | None) -> str | None:
    if budget is None:
        return None
    end_day = budget.period_start(gateway.today) + budget.duration_days
    return iso(gateway.day_start(end_day))


def model_entry(model: Model) -> dict[str, Any]:
    return {
        "model_name": model.model_name,
        "litellm_params": {
            "model": model.litellm_model,
            "api_base": model.api_base,
            "tpm": model.tpm_limit,
            "rpm": model.rpm_limit,
        },
        "model_info": {
            "id": model.model_id,
            "db_model": False,
            "mode": "embedding" if "embedding" in model.model_name else "chat",
            "litellm_provider": model.provider,
            "input_cost_per_token": model.input_cost_per_token,
            "output_cost_per_token": model.output_cost_per_token,
            "max_tokens": 8192 if "embedding" in model.model_name else 128000,
            "supports_function_calling": "embedding" not in model.model_name,
        },
    }


def key_object(gateway: Gateway, key: Key) -> dict[str, Any]:
    budget = key.budget
    expires = None if key.expires_offset_s is None else gateway.origin + key.expires_offset_s
    return {
        "token": key.token,
        "key_name": key.key_name,
        "key_alias": key.alias,
        "spend": round(gateway.key_spend.get(key.token, 0.0), 6),
        "max_budget": budget.max_budget if budget else None,
        "expires": iso(expires),
        "models": [],
        "aliases": {},
        "config": {},
        "user_id": key.user_id,
        "team_id": key.team_id,
        "permissions": {},
        "max_parallel_requests": None,
        "metadata": {},
        "blocked": key.blocked,
        "tpm_limit": None,
        "rpm_limit": None,
        "budget_duration": f"{budget.duration_days}d" if budget else None,
        "budget_reset_at": budget_reset_at(gateway, budget),
        "allowed_cache_controls": [],
        "soft_budget_cooldown": False,
        "model_spend": {},
        "model_max_budget": {},
        "budget_id": None,
        "org_id": None,
        "litellm_budget_table": None
        if budget is None
        else {
            "soft_budget": budget.soft_budget,
            "max_budget": budget.max_budget,
            "budget_duration": f"{budget.duration_days}d",
        },
        "created_at": iso(gateway.origin - 40 * 86400),
        "updated_at": iso(gateway.origin - 86400),
    }


def team_object(gateway: Gateway, team: Team) -> dict[str, Any]:
    budget = team.budget
    return {
        "team_id": team.team_id,
        "team_alias": team.alias,
        "organization_id": None,
        "admins": [],
        "members": [],
        "members_with_roles": [],
        "metadata": {},
        "tpm_limit": None,
        "rpm_limit": None,
        "max_budget": budget.max_budget if budget else None,
        "soft_budget": budget.soft_budget if budget else None,
        "budget_duration": f"{budget.duration_days}d" if budget else None,
        "budget_reset_at": budget_reset_at(gateway, budget),
        "models": [],
        "blocked": team.blocked,
        "spend": round(gateway.team_spend.get(team.team_id, 0.0), 6),
        "max_parallel_requests": None,
        "model_spend": {},
        "created_at": iso(gateway.origin + team.created_offset_s),
    }


def user_object(user: User, spend: float) -> dict[str, Any]:
    return {
        "user_id": user.user_id,
        "user_email": user.email,
        "user_role": user.role,
        "teams": [user.team_id] if user.team_id else [],
        "max_budget": None,
        "spend": round(spend, 6),
        "budget_duration": None,
        "budget_reset_at": None,
        "models": [],
        "metadata": {},
    }


def _metrics(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(METRIC_FIELDS, 0)
    out["spend"] = 0.0
    for row in rows:
        out["spend"] += row["spend"]
        out["prompt_tokens"] += row["prompt_tokens"]
        out["completion_tokens"] += row["completion_tokens"]
        out["successful_requests"] += row["successful_requests"]
        out["failed_requests"] += row["failed_requests"]
        out["api_requests"] += row["api_requests"]
    out["spend"] = round(out["spend"], 6)
    out["total_tokens"] = out["prompt_tokens"] + out["completion_tokens"]
    return out


def _group(rows: list[Mapping[str, Any]], field: str) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row[field]), []).append(row)
    return groups


def _key_metadata(world_keys: Mapping[str, Key], token: str) -> dict[str, Any]:
    key = world_keys.get(token)
    return {
        "key_alias": key.alias if key else None,
        "team_id": key.team_id if key else None,
        "user_id": key.user_id if key else None,
        "key_exists": key is not None,
    }


def _with_keys(
    rows: list[Mapping[str, Any]], keys: Mapping[str, Key], metadata: dict[str, Any]
) -> dict[str, Any]:
    return {
        "metrics": _metrics(rows),
        "metadata": metadata,
        "api_key_breakdown": {
            token: {"metrics": _metrics(group), "metadata": _key_metadata(keys, token)}
            for token, group in _group(rows, "api_key").items()
        },
    }


def daily_activity(
    gateway: Gateway, rows: list[Mapping[str, Any]], page: int, page_size: int, entity: str | None
) -> dict[str, Any]:
    """One page of daily activity: rows are paginated, then grouped by date (LiteLLM's order)."""
    keys, teams = gateway.world.keys, gateway.world.teams
    total_pages = max(1, -(-len(rows) // page_size))
    chunk = rows[(page - 1) * page_size : page * page_size]
    results = []
    for day, day_rows in sorted(_group(chunk, "day_offset").items(), key=lambda item: int(item[0])):
        breakdown: dict[str, Any] = {
            "models": {m: _with_keys(g, keys, {}) for m, g in _group(day_rows, "model").items()},
            "model_groups": {m: _with_keys(g, keys, {}) for m, g in _group(day_rows, "model").items()},
            "providers": {p: _with_keys(g, keys, {}) for p, g in _group(day_rows, "provider").items()},
            "api_keys": {
                token: {"metrics": _metrics(g), "metadata": _key_metadata(keys, token)}
                for token, g in _group(day_rows, "api_key").items()
            },
            "entities": {},
            "endpoints": {},
            "mcp_servers": {},
        }
        if entity == "team":
            breakdown["entities"] = {
                team_id: _with_keys(
                    g, keys, {"team_alias": teams[team_id].alias if team_id in teams else None}
                )
                for team_id, g in _group([r for r in day_rows if r["team_id"]], "team_id").items()
            }
        results.append(
            {"date": gateway.date(int(day)), "metrics": _metrics(day_rows), "breakdown": breakdown}
        )
    totals = _metrics(rows)
    return {
        "results": results,
        "metadata": {
            "total_spend": totals["spend"],
            "total_prompt_tokens": totals["prompt_tokens"],
            "total_completion_tokens": totals["completion_tokens"],
            "total_tokens": totals["total_tokens"],
            "total_api_requests": totals["api_requests"],
            "total_successful_requests": totals["successful_requests"],
            "total_failed_requests": totals["failed_requests"],
            "total_cache_read_input_tokens": 0,
            "total_cache_creation_input_tokens": 0,
            "page": page,
            "total_pages": total_pages,
            "has_more": page < total_pages,
        },
    }
