"""The gateway's state at a moment: a pure function of (world, scenarios played, clock origin, tau).

Time: ``tau`` is scenario-history time (every scenario played, as in mock/engine.py) and the gateway's
virtual wall clock is ``origin + tau``, so ``llmon-mock clock jump 86400`` moves it to the next day.
Day 0 is the UTC day of ``origin``; its part before ``origin`` had calm traffic.

Traffic: each key's flow sends ``requests_per_s x traffic x burn(team)`` requests per second; a share
``failing_providers[provider]`` of them fails at the provider. Phase values are constant, so every
daily figure is an exact integral (no sampling, no state): asking twice gives the same answer and
figures never decrease as tau grows. A team whose period spend passes its ``max_budget`` has every
later request of the period rejected (LiteLLM answers those with 422 ``budget_exceeded``); the moment
of exhaustion is found by bisection on the team's monotonic spend.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mock.scenario import Scenario
from mock.twins.litellm.targets import CALM_GATEWAY, LitellmTargets
from mock.twins.litellm.world import Flow, Key, World

DAY_S = 86400.0
_BISECT_STEPS = 48


def resolved_litellm(scenario: Scenario) -> list[tuple[float, LitellmTargets]]:
    """(phase start, targets) with phases that set nothing inheriting the previous block."""
    current = CALM_GATEWAY
    out = []
    for phase in scenario.phases:
        current = phase.litellm or current
        out.append((phase.start, current))
    return out


class _Segment:
    """One scenario's gateway targets as a step function of its local time, with exact integrals."""

    def __init__(self, scenario: Scenario) -> None:
        steps = resolved_litellm(scenario)
        self.period = scenario.duration if scenario.loop else None
        ends = [start for start, _ in steps[1:]] + [self.period or math.inf]
        self.steps = [(start, end, targets) for (start, targets), end in zip(steps, ends, strict=True)]

    def at(self, t: float) -> LitellmTargets:
        if self.period:
            t %= self.period
        for start, end, targets in self.steps:
            if start <= t < end:
                return targets
        return self.steps[-1][2]

    def _primitive(self, t: float, fn: Callable[[LitellmTargets], float]) -> float:
        cycles = 0.0
        if self.period:
            cycles, t = divmod(t, self.period)
        total = sum(fn(tg) * max(0.0, min(t, end) - start) for start, end, tg in self.steps)
        if cycles:
            total += cycles * sum(fn(tg) * (end - start) for start, end, tg in self.steps)
        return total

    def integral(self, a: float, b: float, fn: Callable[[LitellmTargets], float]) -> float:
        return self._primitive(b, fn) - self._primitive(a, fn) if b > a else 0.0


class Timeline:
    """Scenarios played (closed) and the current one, laid end to end in tau."""

    def __init__(self, parts: Sequence[tuple[Scenario, float]]) -> None:
        self.parts: list[tuple[float, float, _Segment]] = []
        start = 0.0
        for scenario, duration in parts:
            self.parts.append((start, start + duration, _Segment(scenario)))
            start += duration
        self.tau = start

    def at(self, tau: float) -> LitellmTargets:
        for start, end, segment in self.parts:
            if start <= tau < end:
                return segment.at(tau - start)
        return self.parts[-1][2].at(tau - self.parts[-1][0]) if self.parts else CALM_GATEWAY

    def integral(self, a: float, b: float, fn: Callable[[LitellmTargets], float]) -> float:
        """Exact integral of fn(targets) over tau in [a, b] (clipped to the history played)."""
        total = 0.0
        for start, end, segment in self.parts:
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += segment.integral(lo - start, hi - start, fn)
        return total


def _burn(targets: LitellmTargets, alias: str) -> float:
    return targets.budget_burn.get(alias, 1.0)


@dataclass
class DayFigures:
    """One (key, model) flow's totals on one day."""

    team_id: str | None
    api_key: str
    model: str
    provider: str
    spend: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    api_requests: int = 0
    successful_requests: int = 0
    failed_requests: int = 0

    def as_row(self, day: int) -> dict[str, object]:
        return {"day_offset": day, **vars(self)}


@dataclass
class Gateway:
    """Everything the API answers from, for one moment."""

    world: World
    origin: float  # unix time at which tau == 0
    tau: float
    targets: LitellmTargets
    live_days: dict[int, list[DayFigures]] = field(default_factory=dict)  # day >= 0 -> flows
    key_spend: dict[str, float] = field(default_factory=dict)  # current budget period (or lifetime)
    team_spend: dict[str, float] = field(default_factory=dict)
    since_origin: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)  # ok, failed

    @property
    def now(self) -> float:
        return self.origin + self.tau

    @property
    def today(self) -> int:
        return day_of(self.now, self.origin)

    def day_start(self, day: int) -> float:
        return (math.floor(self.origin / DAY_S) + day) * DAY_S

    def date(self, day: int) -> str:
        return datetime.fromtimestamp(self.day_start(day), UTC).strftime("%Y-%m-%d")

    def day_of_date(self, text: str) -> int:
        """Day offset of a YYYY-MM-DD date (ValueError when it is not one)."""
        parsed = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return day_of(parsed.timestamp(), self.origin)


def day_of(unix: float, origin: float) -> int:
    return math.floor(unix / DAY_S) - math.floor(origin / DAY_S)


class _DayModel:
    """Integrals of one day, memoised per (team alias, provider)."""

    def __init__(self, timeline: Timeline, gateway: Gateway, day: int) -> None:
        self.timeline = timeline
        start = gateway.day_start(day) - gateway.origin
        self.pre = max(0.0, min(0.0, start + DAY_S) - start)  # calm seconds before the clock started
        self.lo, self.hi = max(0.0, start), max(0.0, min(start + DAY_S, gateway.tau))

    def requests(self, alias: str, upper: float | None = None) -> float:
        """Request-seconds (traffic x burn) up to ``upper`` tau."""
        return self.pre + self.timeline.integral(
            self.lo, self.hi if upper is None else upper, lambda t: t.traffic * _burn(t, alias)
        )

    def failing(self, alias: str, provider: str, a: float, b: float) -> float:
        return self.timeline.integral(
            a, b, lambda t: t.traffic * _burn(t, alias) * t.failing_providers.get(provider, 0.0)
        )

    def ok(self, alias: str, flow: Flow, upper: float) -> float:
        return flow.requests_per_s * (
            self.requests(alias, upper) - self.failing(alias, flow.provider, self.lo, upper)
        )


def _team_cutoff(model: _DayModel, alias: str, flows: list[tuple[Key, Flow]], allowance: float) -> float:
    """The tau from which the team's requests of the day are rejected (hi if never).

    LiteLLM checks the budget before a request and books its cost after it, so the request that
    crosses the budget completes: requests stop once the day's successful spend has passed
    ``allowance`` by the cost of the team's dearest request, and the period ends just over budget
    (utilisation at or above 1, as on a real proxy).
    """

    def spent(upper: float) -> float:
        return sum(model.ok(alias, flow, upper) * flow.spend_per_request for _, flow in flows)

    target = allowance + max(flow.spend_per_request for _, flow in flows)
    if spent(model.hi) <= target:
        return model.hi
    low, high = model.lo, model.hi
    if allowance <= 0 or spent(low) >= allowance:
        return low
    for _ in range(_BISECT_STEPS):
        middle = (low + high) / 2
        low, high = (middle, high) if spent(middle) < target else (low, middle)
    return high


def compute_gateway(world: World, timeline: Timeline, origin: float) -> Gateway:
    """The gateway at the end of ``timeline``: live days 0..today, period spends, totals since origin."""
    gateway = Gateway(world, origin, timeline.tau, timeline.at(max(0.0, timeline.tau - 1e-9)))
    by_team: dict[str | None, list[tuple[Key, Flow]]] = {}
    for key in world.keys.values():
        for flow in key.flows:
            by_team.setdefault(key.team_id, []).append((key, flow))
    day_spend: dict[tuple[int, str], float] = dict(world.recent_key_spend)
    for day in range(0, gateway.today + 1):
        model = _DayModel(timeline, gateway, day)
        figures = []
        for team_id, flows in by_team.items():
            team = world.teams.get(team_id) if team_id else None
            alias = team.alias if team else ""
            cutoff = model.hi
            if team and team.budget and team.budget.max_budget is not None:
                start = team.budget.period_start(day)
                spent_before = _period_spend_before(day_spend, flows, start, day)
                cutoff = _team_cutoff(model, alias, flows, team.budget.max_budget - spent_before)
            total_requests = model.requests(alias)
            for key, flow in flows:
                ok = model.ok(alias, flow, cutoff)
                requests = flow.requests_per_s * total_requests
                row = DayFigures(
                    team_id,
                    key.token,
                    flow.model,
                    flow.provider,
                    spend=round(ok * flow.spend_per_request, 6),
                    prompt_tokens=math.floor(ok) * flow.prompt_tokens,
                    completion_tokens=math.floor(ok) * flow.completion_tokens,
                    api_requests=math.floor(requests),
                    successful_requests=math.floor(ok),
                    failed_requests=math.floor(requests) - math.floor(ok),
                )
                figures.append(row)
                day_spend[(day, key.token)] = day_spend.get((day, key.token), 0.0) + row.spend
                ok_since = flow.requests_per_s * (
                    model.requests(alias, cutoff)
                    - model.pre
                    - model.failing(alias, flow.provider, model.lo, cutoff)
                )
                failed_since = flow.requests_per_s * (total_requests - model.pre) - ok_since
                old = gateway.since_origin.get((key.token, flow.model), (0.0, 0.0))
                gateway.since_origin[(key.token, flow.model)] = (old[0] + ok_since, old[1] + failed_since)
        gateway.live_days[day] = figures
    today = gateway.today
    for key in world.keys.values():
        start = key.budget.period_start(today) if key.budget else today - 30
        gateway.key_spend[key.token] = sum(
            day_spend.get((d, key.token), 0.0) for d in range(start, today + 1)
        )
    members: dict[str | None, list[str]] = {}
    for key in world.keys.values():
        members.setdefault(key.team_id, []).append(key.token)
    for team in world.teams.values():
        start = team.budget.period_start(today) if team.budget else today - 30
        gateway.team_spend[team.team_id] = sum(
            day_spend.get((d, token), 0.0)
            for d in range(start, today + 1)
            for token in members.get(team.team_id, [])
        )
    return gateway


def _period_spend_before(
    day_spend: dict[tuple[int, str], float], flows: list[tuple[Key, Flow]], start: int, day: int
) -> float:
    tokens = {key.token for key, _ in flows}
    return sum(day_spend.get((d, token), 0.0) for d in range(start, day) for token in tokens)
