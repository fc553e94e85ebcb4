"""The LiteLLM proxy's world in the seed: teams, users, virtual keys, budgets, models and spend history.

Everything comes from generators seeded here from the seed alone (not the shared host generator), so
adding or reordering other upstreams' seed hooks never changes these rows.

Time conventions (see schema.sql): ``day_offset`` 0 is the UTC day on which the mock clock first
starts, -1 the day before. Budgets reset at UTC midnight as LiteLLM's day-based budget durations do,
so ``litellm_budgets.budget_reset_offset_s`` is the next reset counted from 00:00 UTC of day 0 (always a
whole number of days), and ``expires_offset_s`` of a key counts from the moment the clock starts.

``LitellmScale`` sizes the world: the default is the demo's gateway, the benchmark asks for thousands
of keys and a history of millions of requests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from faker import Faker

if TYPE_CHECKING:  # generate.py imports this module to call its hook
    from mock.seed.generate import SeedRows

DAY_S = 86400
#: Model groups behind the gateway: (model group, provider/model, provider, api_base, $/input token,
#: $/output token, tpm limit, rpm limit). Public list prices; self-hosted vLLM at a chargeback rate.
MODELS: tuple[tuple[str, str, str, str | None, float, float, int | None, int | None], ...] = (
    ("gpt-4o", "openai/gpt-4o", "openai", None, 2.5e-6, 1.0e-5, 2_000_000, 5000),
    ("gpt-4o-mini", "openai/gpt-4o-mini", "openai", None, 1.5e-7, 6.0e-7, 4_000_000, 10000),
    (
        "claude-sonnet",
        "anthropic/claude-3-5-sonnet-20241022",
        "anthropic",
        None,
        3.0e-6,
        1.5e-5,
        800_000,
        4000,
    ),
    (
        "llama-3.1-70b",
        "hosted_vllm/meta-llama/Llama-3.1-70B-Instruct",
        "hosted_vllm",
        "http://vllm-llama:8000/v1",
        4.0e-7,
        8.0e-7,
        None,
        None,
    ),
    (
        "qwen2.5-7b",
        "hosted_vllm/Qwen/Qwen2.5-7B-Instruct",
        "hosted_vllm",
        "http://vllm-qwen:8001/v1",
        5.0e-8,
        1.0e-7,
        None,
        None,
    ),
    ("text-embedding-3-small", "openai/text-embedding-3-small", "openai", None, 2.0e-8, 0.0, None, None),
)
#: Demo teams, in order; the first one is the team the litellm-budget-exhausted scenario burns through.
TEAM_ALIASES = ("research", "support-bot", "search", "platform", "data-eng", "growth")
BUDGET_DURATIONS = (1, 7, 30)  # days
KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
WEEKDAY_FACTORS = (1.0, 1.05, 1.1, 1.0, 0.95, 0.45, 0.35)


@dataclass(frozen=True)
class LitellmScale:
    """How big the seeded gateway is; the benchmark scales it up."""

    teams: int = len(TEAM_ALIASES)
    keys: int = 24
    users: int = 14
    history_days: int = 28
    #: Requests per day of all keys together, before weekday and noise factors.
    history_requests_per_day: float | None = None


def token_of(secret: str) -> str:
    """What LiteLLM stores for a virtual key: the SHA-256 hex digest of ``sk-...``."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _team_alias(index: int) -> str:
    return TEAM_ALIASES[index] if index < len(TEAM_ALIASES) else f"team-{index:04d}"


def _budget(
    rows: SeedRows, budget_id: str, max_budget: float | None, duration_days: int, reset_day: int
) -> None:
    rows.add(
        "litellm_budgets",
        budget_id=budget_id,
        max_budget=max_budget,
        soft_budget=None if max_budget is None else round(max_budget * 0.8, 2),
        budget_duration=f"{duration_days}d",
        budget_reset_offset_s=float(reset_day * DAY_S),
        tpm_limit=None,
        rpm_limit=None,
        max_parallel_requests=None,
    )


def _period_days(duration_days: int, reset_day: int, history_days: int) -> range:
    """Past days (negative offsets) that belong to the budget period running when the clock starts."""
    start = reset_day - duration_days
    return range(max(start, -history_days), 0)


def fill_litellm(rows: SeedRows, seed: int, scale: LitellmScale = LitellmScale()) -> None:
    """Add the LiteLLM tables' rows for ``seed`` at ``scale`` (deterministic, own generators)."""
    rng = np.random.default_rng([seed, 0x4C4C4D])  # "LLM": a stream of its own
    fake = Faker("en_US")
    fake.seed_instance(seed + 4000)
    for model_id, (name, litellm_model, provider, api_base, cost_in, cost_out, tpm, rpm) in enumerate(
        MODELS, start=1
    ):
        rows.add(
            "litellm_models",
            id=model_id,
            model_name=name,
            litellm_model=litellm_model,
            provider=provider,
            api_base=api_base,
            deployment_id=None,
            input_cost_per_token=cost_in,
            output_cost_per_token=cost_out,
            tpm_limit=tpm,
            rpm_limit=rpm,
        )
    team_ids = [f"team-{fake.uuid4()[:8]}" for _ in range(scale.teams)]
    user_ids = [f"user-{fake.uuid4()[:8]}" for _ in range(scale.users)]
    user_team = [team_ids[i % scale.teams] for i in range(scale.users)]
    # Keys: who owns them and what they send where.
    keys = []
    for index in range(scale.keys):
        user = index % scale.users
        team = user_team[user]
        secret = f"sk-{fake.bothify('?' * 22, letters=KEY_ALPHABET)}"
        alias = None if index % 5 == 4 else f"{_team_alias(team_ids.index(team))}-{fake.word()}-{index}"
        main = int(rng.integers(0, len(MODELS) - 1))
        models = [main] + ([len(MODELS) - 1] if rng.random() < 0.3 else [])
        traffic = [
            (
                MODELS[m][0],
                float(rng.uniform(0.01, 0.12)) / len(models),
                int(rng.integers(300, 2500)) if m != len(MODELS) - 1 else int(rng.integers(50, 400)),
                int(rng.integers(80, 700)) if m != len(MODELS) - 1 else 0,
            )
            for m in models
        ]
        keys.append((token_of(secret), secret, alias, team, user_ids[user], traffic))
    base_rate = sum(rate for *_, traffic in keys for _, rate, _, _ in traffic)
    history_scale = 1.0
    if scale.history_requests_per_day is not None:
        history_scale = scale.history_requests_per_day / (base_rate * DAY_S)
    # History: one row per (day, key, model); spend is what the successful requests cost.
    cost = {m[0]: (m[4], m[5], m[2]) for m in MODELS}
    spend_by_key_day: dict[tuple[str, int], float] = {}
    history = []
    for day in range(-scale.history_days, 0):
        weekday = WEEKDAY_FACTORS[day % 7]
        for token, _, _, team, _, traffic in keys:
            for model, rate, prompt, completion in traffic:
                requests = int(rng.poisson(rate * DAY_S * weekday * history_scale))
                failed = int(rng.binomial(requests, 0.015)) if requests else 0
                ok = requests - failed
                p_tokens, c_tokens = ok * prompt, ok * completion
                cost_in, cost_out, provider = cost[model]
                spend = round(p_tokens * cost_in + c_tokens * cost_out, 6)
                spend_by_key_day[(token, day)] = spend_by_key_day.get((token, day), 0.0) + spend
                history.append(
                    (day, team, token, model, provider, spend, p_tokens, c_tokens, requests, ok, failed)
                )
    daily_key_rate = {
        token: sum(rate * DAY_S * (cost[m][0] * p + cost[m][1] * c) for m, rate, p, c in traffic)
        for token, _, _, _, _, traffic in keys
    }
    # Teams: budgets sized so normal traffic ends its period at 55-75 % of the budget; one has none.
    team_spend: dict[str, float] = {}
    for index, team in enumerate(team_ids):
        duration = 30 if index % 3 != 1 else 7
        reset_day = int(rng.integers(1, duration + 1))
        period = _period_days(duration, reset_day, scale.history_days)
        members = [k for k in keys if k[3] == team]
        past = sum(spend_by_key_day.get((k[0], d), 0.0) for k in members for d in period)
        projected = past + sum(daily_key_rate[k[0]] for k in members) * reset_day
        unlimited = index == 3
        budget_id = f"budget-{team}"
        max_budget = None if unlimited else round(max(projected, 1.0) / float(rng.uniform(0.55, 0.75)), 2)
        _budget(rows, budget_id, max_budget, duration, reset_day)
        team_spend[team] = round(past, 6)
        rows.add(
            "litellm_teams",
            team_id=team,
            team_alias=_team_alias(index),
            budget_id=budget_id,
            max_budget=max_budget,
            spend=team_spend[team],
            tpm_limit=None,
            rpm_limit=None,
            models="[]",
            blocked=0,
            created_offset_s=-float(scale.history_days * DAY_S + index * 3600),
        )
    owner = {token: user for token, _, _, _, user, _ in keys}
    user_spend: dict[str, float] = {}
    for (token, _), spend in spend_by_key_day.items():
        user_spend[owner[token]] = user_spend.get(owner[token], 0.0) + spend
    for index, user in enumerate(user_ids):
        rows.add(
            "litellm_users",
            user_id=user,
            user_email=fake.unique.company_email(),
            user_role="internal_user",
            team_id=user_team[index],
            budget_id=None,
            max_budget=None,
            spend=round(user_spend.get(user, 0.0), 6),
        )
    for index, (token, secret, alias, team, user, traffic) in enumerate(keys):
        budget_id = max_budget = duration = None
        period_spend = 0.0
        if index % 3 == 0:  # every third key has its own (daily or weekly) budget
            days = BUDGET_DURATIONS[index % 2]
            reset_day = int(rng.integers(1, days + 1))
            period = _period_days(days, reset_day, scale.history_days)
            period_spend = sum(spend_by_key_day.get((token, d), 0.0) for d in period)
            projected = period_spend + daily_key_rate[token] * reset_day
            max_budget = round(max(projected, 0.5) / float(rng.uniform(0.5, 0.7)), 2)
            duration = f"{days}d"
            budget_id = f"budget-{token[:12]}"
            _budget(rows, budget_id, max_budget, days, reset_day)
        expires = None if index % 4 else float(rng.integers(10, 120) * DAY_S)
        rows.add(
            "litellm_keys",
            token=token,
            key_name=f"sk-...{secret[-4:]}",
            key_alias=alias,
            team_id=team,
            user_id=user,
            budget_id=budget_id,
            max_budget=max_budget,
            spend=round(period_spend, 6),
            budget_duration=duration,
            tpm_limit=None,
            rpm_limit=None,
            models="[]",
            expires_offset_s=expires,
            blocked=0,
        )
        for model, rate, prompt, completion in traffic:
            rows.add(
                "litellm_key_traffic",
                api_key=token,
                model=model,
                requests_per_s=round(rate, 6),
                prompt_tokens=prompt,
                completion_tokens=completion,
            )
    for day, team, token, model, provider, spend, p_tokens, c_tokens, requests, ok, failed in sorted(history):
        rows.add(
            "litellm_daily_spend",
            day_offset=day,
            team_id=team,
            api_key=token,
            model=model,
            provider=provider,
            spend=spend,
            prompt_tokens=p_tokens,
            completion_tokens=c_tokens,
            api_requests=requests,
            successful_requests=ok,
            failed_requests=failed,
        )
