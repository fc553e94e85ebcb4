"""Langfuse's JSON shapes for traces, observations and scores, built from one row of a Batch.

Shapes follow langfuse/langfuse (web/src/features/public-api/types/{traces,observations}.ts,
packages/shared/src/features/scores/interfaces/api/v{2,3}/schemas.ts): objects report durations in
seconds, v1-style scores carry ``value`` plus ``stringValue``, v3 scores a polymorphic ``value``,
and v2 observations only the field groups asked for (core and basic by default).
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np

from mock.twins.langfuse import catalog
from mock.twins.langfuse.events import (
    LEVELS,
    OBSERVATION_NAMES,
    OBSERVATION_TYPES,
    SCORE_NAMES,
    STATUS_MESSAGES,
    Batch,
)
from mock.twins.langfuse.hashing import bits
from mock.twins.langfuse.world import World

INGEST_DELAY_S = 0.8  # createdAt - timestamp: how long ingestion takes in the calm application
TRACE_FIELD_GROUPS = ("core", "io", "scores", "observations", "metrics")
OBSERVATION_V2_GROUPS = (
    "core",
    "basic",
    "time",
    "io",
    "metadata",
    "model",
    "usage",
    "prompt",
    "metrics",
    "trace_context",
)
SCORE_V3_GROUPS = ("core", "details", "subject", "annotation")
_TRACE_ID_FIELD, _OBS_ID_FIELD, _SCORE_ID_FIELD = 90, 100, 110


def iso(unix: float) -> str:
    """Langfuse's timestamps: UTC with milliseconds and a Z."""
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _one(seed: int, k: int, field: int) -> int:
    return int(bits(seed, np.array([k], dtype=np.int64), field)[0])


def trace_id(seed: int, k: int) -> str:
    """32 hex digits, like the OpenTelemetry trace ids the SDKs send."""
    return f"{_one(seed, k, _TRACE_ID_FIELD):016x}{_one(seed, k, _TRACE_ID_FIELD + 1):016x}"


def observation_id(seed: int, k: int, slot: int) -> str:
    """16 hex digits, like OpenTelemetry span ids."""
    return f"{_one(seed, k, _OBS_ID_FIELD + slot):016x}"


def score_id(seed: int, k: int, slot: int) -> str:
    return str(
        uuid.UUID(int=(_one(seed, k, _SCORE_ID_FIELD + slot) << 64) | _one(seed, k, _SCORE_ID_FIELD + 9))
    )


def user_id(batch: Batch, row: int) -> str:
    return f"user-{int(batch.user[row]):04d}"


def session_id(batch: Batch, row: int) -> str:
    """A user's conversation: a few consecutive traces of the same user share it."""
    return f"sess-{int(batch.user[row]):04d}-{int(batch.k[row]) // 4000:05d}"


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


class Shapes:
    """Renders rows for one project."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.seed = world.noise_seed

    def trace_id_of(self, batch: Batch, row: int) -> str:
        return trace_id(self.seed, int(batch.k[row]))

    def observation_id_of(self, batch: Batch, row: int, slot: int) -> str:
        return observation_id(self.seed, int(batch.k[row]), slot)

    def score_id_of(self, batch: Batch, row: int, slot: int) -> str:
        return score_id(self.seed, int(batch.k[row]), slot)

    # --- traces -------------------------------------------------------------------------------------

    def trace(self, batch: Batch, row: int, fields: tuple[str, ...] = TRACE_FIELD_GROUPS) -> dict[str, Any]:
        k = int(batch.k[row])
        t = float(batch.time[row])
        name = catalog.TRACE_NAMES[int(batch.name[row])]
        out: dict[str, Any] = {
            "id": trace_id(self.seed, k),
            "externalId": None,
            "timestamp": iso(t),
            "name": name,
            "userId": user_id(batch, row),
            "sessionId": session_id(batch, row),
            "release": self.world.release,
            "version": None,
            "metadata": {"app": "llmon-demo"},
            "tags": [name],
            "public": False,
            "bookmarked": False,
            "environment": catalog.ENVIRONMENTS[int(batch.environment[row])],
            "projectId": self.world.project_id,
            "createdAt": iso(t + INGEST_DELAY_S),
            "updatedAt": iso(float(batch.trace_end[row]) + INGEST_DELAY_S),
            "htmlPath": f"/project/{self.world.project_id}/traces/{trace_id(self.seed, k)}",
        }
        if "io" in fields:
            out["input"] = {"messages": [{"role": "user", "content": f"[{name} request]"}]}
            out["output"] = {"role": "assistant", "content": f"[{name} answer]"}
        if "observations" in fields:
            out["observations"] = [observation_id(self.seed, k, slot) for slot in range(3)]
        if "scores" in fields:
            out["scores"] = [score_id(self.seed, k, s) for s in range(3) if batch.score_present[row, s]]
        if "metrics" in fields:
            out["latency"] = round(float(batch.trace_end[row] - t), 3)
            out["totalCost"] = float(np.nansum(batch.total_cost[row]))
        else:  # Langfuse reports excluded metrics as -1
            out["latency"] = -1
            out["totalCost"] = -1
        return out

    # --- observations --------------------------------------------------------------------------------

    def _observation_parts(self, batch: Batch, row: int, slot: int) -> dict[str, Any]:
        k = int(batch.k[row])
        model_index = int(batch.model[row, slot])
        level = LEVELS[int(batch.level[row, slot])]
        start, end = float(batch.start[row, slot]), float(batch.end[row, slot])
        completion = _num(float(batch.completion_start[row, slot]))
        is_generation = OBSERVATION_TYPES[int(batch.obs_type[row, slot])] == "GENERATION"
        usage = {}
        cost = {}
        if is_generation:
            tokens_in, tokens_out = int(batch.input_tokens[row, slot]), int(batch.output_tokens[row, slot])
            usage = {"input": tokens_in, "output": tokens_out, "total": tokens_in + tokens_out}
            cost_in, cost_out = _num(batch.input_cost[row, slot]), _num(batch.output_cost[row, slot])
            if cost_in is not None and cost_out is not None:
                cost = {"input": cost_in, "output": cost_out, "total": cost_in + cost_out}
        model = self.world.models[model_index] if model_index >= 0 else None
        return {
            "id": observation_id(self.seed, k, slot),
            "traceId": trace_id(self.seed, k),
            "type": OBSERVATION_TYPES[int(batch.obs_type[row, slot])],
            "name": OBSERVATION_NAMES[int(batch.obs_name[row, slot])],
            "startTime": iso(start),
            "endTime": iso(end),
            "completionStartTime": iso(completion) if completion is not None else None,
            "parentObservationId": None if slot == 0 else observation_id(self.seed, k, 0),
            "projectId": self.world.project_id,
            "environment": catalog.ENVIRONMENTS[int(batch.environment[row])],
            "level": level,
            "statusMessage": STATUS_MESSAGES.get(level),
            "version": None,
            "model": model.name if model else None,
            "modelParameters": {"temperature": 0.2} if is_generation else None,
            "usageDetails": usage,
            "costDetails": cost,
            "totalCost": cost.get("total", 0.0) if cost else None,
            "latency": round(end - start, 3),
            "timeToFirstToken": round(completion - start, 3) if completion is not None else None,
            "inputPrice": model.input_price if model else None,
            "outputPrice": model.output_price if model else None,
            "createdAt": iso(end + INGEST_DELAY_S),
            "updatedAt": iso(end + INGEST_DELAY_S),
        }

    def observation(self, batch: Batch, row: int, slot: int) -> dict[str, Any]:
        """The legacy (v1) observation object, deprecated usage fields included."""
        p = self._observation_parts(batch, row, slot)
        usage = p["usageDetails"]
        cost = p["costDetails"]
        return {
            "id": p["id"],
            "projectId": p["projectId"],
            "traceId": p["traceId"],
            "parentObservationId": p["parentObservationId"],
            "name": p["name"],
            "type": p["type"],
            "environment": p["environment"],
            "startTime": p["startTime"],
            "endTime": p["endTime"],
            "version": None,
            "release": self.world.release,
            "createdAt": p["createdAt"],
            "updatedAt": p["updatedAt"],
            "input": None,
            "output": None,
            "metadata": {},
            "level": p["level"],
            "statusMessage": p["statusMessage"],
            "model": p["model"],
            "modelParameters": p["modelParameters"],
            "completionStartTime": p["completionStartTime"],
            "promptId": None,
            "promptName": None,
            "promptVersion": None,
            "usageDetails": usage,
            "costDetails": cost,
            "usage": {
                "unit": "TOKENS",
                "input": usage.get("input", 0),
                "output": usage.get("output", 0),
                "total": usage.get("total", 0),
            },
            "unit": "TOKENS",
            "promptTokens": usage.get("input", 0),
            "completionTokens": usage.get("output", 0),
            "totalTokens": usage.get("total", 0),
            "usagePricingTierName": None,
            "usagePricingTierId": None,
            "modelId": None,
            "inputPrice": p["inputPrice"],
            "outputPrice": p["outputPrice"],
            "totalPrice": None,
            "calculatedInputCost": cost.get("input"),
            "calculatedOutputCost": cost.get("output"),
            "calculatedTotalCost": cost.get("total"),
            "latency": p["latency"],
            "timeToFirstToken": p["timeToFirstToken"],
        }

    def observation_v2(self, batch: Batch, row: int, slot: int, groups: tuple[str, ...]) -> dict[str, Any]:
        """A v2 observation with the requested field groups (core always)."""
        p = self._observation_parts(batch, row, slot)
        out = {
            key: p[key]
            for key in ("id", "traceId", "startTime", "endTime", "projectId", "parentObservationId", "type")
        }
        if "basic" in groups:
            out |= {
                "name": p["name"],
                "level": p["level"],
                "statusMessage": p["statusMessage"],
                "version": None,
                "environment": p["environment"],
                "bookmarked": False,
                "public": False,
                "userId": user_id(batch, row),
                "sessionId": session_id(batch, row),
                "isRootObservation": slot == 0,
            }
        if "time" in groups:
            out |= {key: p[key] for key in ("completionStartTime", "createdAt", "updatedAt")}
        if "io" in groups:
            out |= {"input": None, "output": None}
        if "metadata" in groups:
            out["metadata"] = {}
        if "model" in groups:
            out |= {
                "providedModelName": p["model"],
                "internalModelId": None,
                "modelParameters": p["modelParameters"],
            }
        if "usage" in groups:
            out |= {
                "usageDetails": p["usageDetails"],
                "costDetails": p["costDetails"],
                "totalCost": p["totalCost"],
                "usagePricingTierName": None,
            }
        if "prompt" in groups:
            out |= {"promptId": None, "promptName": None, "promptVersion": None}
        if "metrics" in groups:
            out |= {"latency": p["latency"], "timeToFirstToken": p["timeToFirstToken"]}
        if "trace_context" in groups:
            name = catalog.TRACE_NAMES[int(batch.name[row])]
            out |= {"tags": [name], "release": self.world.release, "traceName": name}
        # Enrichment fields present on every v2 row; prices are strings there (Decimal), null without "model".
        with_model = "model" in groups and p["model"] is not None
        out |= {
            "modelId": None,
            "inputPrice": str(p["inputPrice"]) if with_model else None,
            "outputPrice": str(p["outputPrice"]) if with_model else None,
            "totalPrice": None,
        }
        return out

    # --- scores --------------------------------------------------------------------------------------

    def _score_value(self, batch: Batch, row: int, slot: int) -> tuple[float, str | None, Any]:
        """(v1 numeric value, v1 stringValue, v3 polymorphic value)."""
        value = float(batch.score_value[row, slot])
        kind = catalog.SCORE_TYPES[SCORE_NAMES[slot]]
        if kind == "BOOLEAN":
            return value, "True" if value else "False", bool(value)
        if kind == "CATEGORICAL":
            tone = catalog.TONES[int(value)]
            return value, tone, tone
        return value, None, value

    def _score_common(self, batch: Batch, row: int, slot: int) -> dict[str, Any]:
        t = float(batch.score_time[row, slot])
        name = SCORE_NAMES[slot]
        return {
            "id": score_id(self.seed, int(batch.k[row]), slot),
            "projectId": self.world.project_id,
            "name": name,
            "source": catalog.SCORE_SOURCES[name],
            "timestamp": iso(t),
            "environment": catalog.ENVIRONMENTS[int(batch.environment[row])],
            "createdAt": iso(t + INGEST_DELAY_S),
            "updatedAt": iso(t + INGEST_DELAY_S),
            "dataType": catalog.SCORE_TYPES[name],
        }

    def score_v1(self, batch: Batch, row: int, slot: int) -> dict[str, Any]:
        """The score of /scores and /v2/scores: numeric value plus stringValue."""
        value, string_value, _ = self._score_value(batch, row, slot)
        out = self._score_common(batch, row, slot)
        out |= {
            "value": value,
            "stringValue": string_value,
            "authorUserId": None,
            "comment": None,
            "metadata": {},
            "configId": None,
            "queueId": None,
            "executionTraceId": None,
            "traceId": trace_id(self.seed, int(batch.k[row])),
            "observationId": None,
            "sessionId": None,
            "datasetRunId": None,
        }
        return out

    def score_v3(self, batch: Batch, row: int, slot: int, groups: tuple[str, ...]) -> dict[str, Any]:
        _, _, value = self._score_value(batch, row, slot)
        out = self._score_common(batch, row, slot) | {"value": value}
        if "details" in groups:
            out |= {"comment": None, "configId": None, "metadata": {}}
        if "subject" in groups:
            out["subject"] = {"kind": "trace", "id": trace_id(self.seed, int(batch.k[row]))}
        if "annotation" in groups:
            out |= {"authorUserId": None, "queueId": None}
        return out
