"""The seeded Langfuse project as immutable values (mock/seed/langfuse.py writes the rows)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from mock.db import read_rows
from mock.errors import DatabaseError
from mock.twins.langfuse.catalog import MODEL_NAMES


@dataclass(frozen=True)
class Model:
    name: str
    share: float
    input_price: float
    output_price: float
    input_tokens: float
    output_tokens: float
    ttft_s: float
    itl_s: float
    helpfulness: float


@dataclass(frozen=True)
class World:
    project_id: str
    project_name: str
    organization: str
    traces_per_s: float
    history_days: int
    production_share: float
    users: int
    release: str
    noise_seed: int
    models: tuple[Model, ...]  # in catalogue order: a model's index is stable across seeds

    def model_index(self, name: str) -> int:
        return [m.name for m in self.models].index(name)


def load_world(conn: sqlite3.Connection) -> World:
    """Read the Langfuse tables; a database seeded before they existed is reported in one line."""
    what = "the Langfuse tables of the mock database"
    tables = {row["name"] for row in read_rows(conn, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "langfuse_traffic" not in tables:
        raise DatabaseError(
            "the mock database has no Langfuse traffic table: seed it again (llmon-mock seed)"
        )
    traffic = read_rows(
        conn,
        "SELECT t.*, p.name AS project_name, p.organization FROM langfuse_traffic t "
        "JOIN langfuse_projects p ON p.id = t.project_id ORDER BY t.project_id LIMIT 1",
        what=what,
    )
    if not traffic:
        raise DatabaseError("the mock database has no Langfuse project: seed it again (llmon-mock seed)")
    row = traffic[0]
    by_name = {
        m["name"]: Model(
            m["name"],
            m["share"],
            m["input_price"],
            m["output_price"],
            m["input_tokens"],
            m["output_tokens"],
            m["ttft_s"],
            m["itl_s"],
            m["helpfulness"],
        )
        for m in read_rows(
            conn, "SELECT * FROM langfuse_models WHERE project_id = ?", (row["project_id"],), what=what
        )
    }
    missing = [name for name in MODEL_NAMES if name not in by_name]
    if missing:
        raise DatabaseError(f"the mock database lacks Langfuse model {missing[0]!r}: seed it again")
    return World(
        project_id=row["project_id"],
        project_name=row["project_name"],
        organization=row["organization"],
        traces_per_s=row["traces_per_s"],
        history_days=row["history_days"],
        production_share=row["production_share"],
        users=row["users"],
        release=row["release"],
        noise_seed=row["noise_seed"],
        models=tuple(by_name[name] for name in MODEL_NAMES),
    )
