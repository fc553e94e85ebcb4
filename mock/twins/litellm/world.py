"""The seeded gateway as immutable values: models, teams, users, keys, budgets and each key's traffic.

Only the history of the last ``HISTORY_WINDOW_DAYS`` days is kept in memory (what budget periods
need); older daily rows stay in SQLite and are read by date range when a daily-activity query asks
for them, so the twin's memory and per-request cost do not grow with the length of the history.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from mock.db import read_rows
from mock.errors import DatabaseError

HISTORY_WINDOW_DAYS = 31  # the longest budget duration the seed uses, plus one
DAILY_COLUMNS = (
    "spend",
    "prompt_tokens",
    "completion_tokens",
    "api_requests",
    "successful_requests",
    "failed_requests",
)


@dataclass(frozen=True)
class Model:
    model_id: str
    model_name: str  # model group
    litellm_model: str
    provider: str
    api_base: str | None
    input_cost_per_token: float
    output_cost_per_token: float
    tpm_limit: int | None
    rpm_limit: int | None


@dataclass(frozen=True)
class Budget:
    max_budget: float | None
    soft_budget: float | None
    duration_days: int
    reset_day: int  # a day on which the budget resets (UTC midnight); periods repeat every duration

    def period_start(self, day: int) -> int:
        """First day of the budget period that contains ``day``."""
        return self.reset_day + self.duration_days * ((day - self.reset_day) // self.duration_days)


@dataclass(frozen=True)
class Team:
    team_id: str
    alias: str
    budget: Budget | None
    created_offset_s: float
    blocked: bool


@dataclass(frozen=True)
class User:
    user_id: str
    email: str | None
    role: str
    team_id: str | None
    history_spend: float


@dataclass(frozen=True)
class Flow:
    """One key's traffic to one model group."""

    model: str
    provider: str
    requests_per_s: float
    prompt_tokens: int
    completion_tokens: int
    spend_per_request: float


@dataclass(frozen=True)
class Key:
    token: str  # sha256 of the secret: what LiteLLM calls the key's hash
    key_name: str
    alias: str | None
    team_id: str | None
    user_id: str | None
    budget: Budget | None
    expires_offset_s: float | None
    blocked: bool
    flows: tuple[Flow, ...]


@dataclass(frozen=True)
class World:
    models: tuple[Model, ...]
    teams: dict[str, Team]
    users: dict[str, User]
    keys: dict[str, Key]
    #: (day, key token) -> spend of that key on that past day, for the budget window only.
    recent_key_spend: dict[tuple[int, str], float]


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    return read_rows(conn, sql, params, what="the LiteLLM tables of the mock database")


def _budget(row: sqlite3.Row | None) -> Budget | None:
    if row is None or row["budget_duration"] is None:
        return None
    return Budget(
        max_budget=row["max_budget"],
        soft_budget=row["soft_budget"],
        duration_days=int(str(row["budget_duration"]).removesuffix("d")),
        reset_day=int(row["budget_reset_offset_s"] // 86400),
    )


def load_world(conn: sqlite3.Connection) -> World:
    """Read the LiteLLM tables; a database seeded before they existed is reported in one line."""
    tables = {row["name"] for row in _rows(conn, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "litellm_key_traffic" not in tables:
        raise DatabaseError("the mock database has no LiteLLM traffic table: seed it again (llmon-mock seed)")
    models = tuple(
        Model(
            model_id=f"{row['id']:08x}-llm-{row['model_name']}",
            model_name=row["model_name"],
            litellm_model=row["litellm_model"],
            provider=row["provider"],
            api_base=row["api_base"],
            input_cost_per_token=row["input_cost_per_token"],
            output_cost_per_token=row["output_cost_per_token"],
            tpm_limit=row["tpm_limit"],
            rpm_limit=row["rpm_limit"],
        )
        for row in _rows(conn, "SELECT * FROM litellm_models ORDER BY id")
    )
    budgets = {row["budget_id"]: row for row in _rows(conn, "SELECT * FROM litellm_budgets")}
    teams = {
        row["team_id"]: Team(
            row["team_id"],
            row["team_alias"],
            _budget(budgets.get(row["budget_id"])),
            row["created_offset_s"],
            bool(row["blocked"]),
        )
        for row in _rows(conn, "SELECT * FROM litellm_teams ORDER BY team_id")
    }
    users = {
        row["user_id"]: User(
            row["user_id"], row["user_email"], row["user_role"], row["team_id"], row["spend"]
        )
        for row in _rows(conn, "SELECT * FROM litellm_users ORDER BY user_id")
    }
    by_model = {m.model_name: m for m in models}
    flows: dict[str, list[Flow]] = {}
    for row in _rows(conn, "SELECT * FROM litellm_key_traffic ORDER BY api_key, model"):
        model = by_model[row["model"]]
        flows.setdefault(row["api_key"], []).append(
            Flow(
                model=model.model_name,
                provider=model.provider,
                requests_per_s=row["requests_per_s"],
                prompt_tokens=row["prompt_tokens"],
                completion_tokens=row["completion_tokens"],
                spend_per_request=row["prompt_tokens"] * model.input_cost_per_token
                + row["completion_tokens"] * model.output_cost_per_token,
            )
        )
    keys = {
        row["token"]: Key(
            token=row["token"],
            key_name=row["key_name"],
            alias=row["key_alias"],
            team_id=row["team_id"],
            user_id=row["user_id"],
            budget=_budget(budgets.get(row["budget_id"])),
            expires_offset_s=row["expires_offset_s"],
            blocked=bool(row["blocked"]),
            flows=tuple(flows.get(row["token"], ())),
        )
        for row in _rows(conn, "SELECT * FROM litellm_keys ORDER BY token")
    }
    recent = {
        (row["day_offset"], row["api_key"]): row["spend"]
        for row in _rows(
            conn,
            "SELECT day_offset, api_key, SUM(spend) AS spend FROM litellm_daily_spend "
            "WHERE day_offset >= ? GROUP BY day_offset, api_key",
            (-HISTORY_WINDOW_DAYS,),
        )
    }
    return World(models, teams, users, keys, recent)


def history_rows(conn: sqlite3.Connection, first_day: int, last_day: int) -> list[dict[str, Any]]:
    """Seeded daily rows for past days in [first_day, last_day] (days >= 0 are computed live)."""
    if first_day > min(last_day, -1):
        return []
    return [
        dict(row)
        for row in _rows(
            conn,
            "SELECT day_offset, team_id, api_key, model, provider, " + ", ".join(DAILY_COLUMNS) + " "
            "FROM litellm_daily_spend WHERE day_offset BETWEEN ? AND ? ORDER BY day_offset, api_key, model",
            (first_day, min(last_day, -1)),
        )
    ]
