"""The seed database: deterministic bytes, the schema of all six upstreams, realistic host rows."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from mock.cli import run
from mock.db import SCHEMA_VERSION, SeedSnapshot, load_snapshot, open_db, read_clock
from mock.errors import DatabaseError
from mock.scenario import DEFAULT_SCENARIO
from mock.seed.generate import SeedOutputError, build_seed


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_same_seed_builds_byte_identical_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    build_seed(7, first)
    build_seed(7, second)
    assert _sha256(first) == _sha256(second)


def test_rebuilding_over_an_existing_file_gives_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "mock.db"
    build_seed(7, out)
    digest = _sha256(out)
    build_seed(7, out)
    assert _sha256(out) == digest
    assert [p.name for p in tmp_path.iterdir()] == ["mock.db"]  # no temporary file left behind


def test_different_seeds_give_different_worlds(tmp_path: Path) -> None:
    build_seed(1, tmp_path / "one.db")
    build_seed(2, tmp_path / "two.db")
    assert _sha256(tmp_path / "one.db") != _sha256(tmp_path / "two.db")
    with sqlite3.connect(tmp_path / "one.db") as one, sqlite3.connect(tmp_path / "two.db") as two:
        query = "SELECT hostname, mem_total_kb, uptime_s FROM hosts ORDER BY id"
        assert one.execute(query).fetchall() != two.execute(query).fetchall()


def test_schema_covers_all_six_upstreams(pristine_db: Path) -> None:
    expected = {
        # node
        "hosts", "cpus", "disks", "nics", "filesystems", "hwmon_sensors",
        # gpu
        "gpu_models", "gpus",
        # container
        "containers", "container_gpus",
        # vllm
        "vllm_deployments", "vllm_deployment_gpus", "vllm_served_models",
        # litellm
        "litellm_teams", "litellm_users", "litellm_keys", "litellm_budgets", "litellm_models",
        "litellm_daily_spend",
        # langfuse
        "langfuse_projects", "langfuse_traces", "langfuse_observations", "langfuse_scores",
        # control state
        "meta", "mock_state", "mock_history",
    }  # fmt: skip
    assert expected <= _tables(pristine_db)


def test_seed_records_its_seed_and_starts_on_the_default_scenario(pristine_db: Path) -> None:
    with sqlite3.connect(pristine_db) as conn:
        assert dict(conn.execute("SELECT key, value FROM meta"))["seed"] == "42"
        state = read_clock(conn)
    assert state.scenario == DEFAULT_SCENARIO
    assert state.generation == 0
    assert state.started_at is None  # no wall-clock time in a seed
    assert state.origin_wall is None


def test_gpu_models_are_the_real_skus_with_consistent_limits(pristine_db: Path) -> None:
    marketed_gib = {
        "NVIDIA H100 80GB HBM3": 80,
        "NVIDIA A100-SXM4-80GB": 80,
        "NVIDIA L40S": 48,
        "NVIDIA GeForce RTX 4090": 24,
    }
    with sqlite3.connect(pristine_db) as conn:
        conn.row_factory = sqlite3.Row
        models = {row["name"]: row for row in conn.execute("SELECT * FROM gpu_models")}
    assert set(models) == set(marketed_gib)
    for name, row in models.items():
        # NVML reports the usable framebuffer: a little under the marketed size, never over it.
        assert 0.9 <= row["memory_total_bytes"] / (marketed_gib[name] * 1024**3) <= 1.0, name
        assert row["power_limit_min_w"] <= row["power_limit_default_w"] <= row["power_limit_max_w"], name
        assert row["temp_max_operating_c"] < row["temp_slowdown_c"] < row["temp_shutdown_c"], name


def test_hosts_are_complete_and_internally_consistent(snapshot: SeedSnapshot) -> None:
    assert len(snapshot.hosts) >= 1
    for host in snapshot.hosts:
        assert len(host.cpus) == len({c.cpu for c in host.cpus}) > 0
        assert host.mem_total_kb > 0
        whole_disks = [d for d in host.disks if d.parent is None]
        assert sum(d.io_share for d in whole_disks) == pytest.approx(1.0, abs=1e-3)
        for disk in host.disks:
            if disk.parent:
                parent = next(d for d in host.disks if d.name == disk.parent)
                assert (disk.latency_ms, disk.merge_ratio) == (parent.latency_ms, parent.merge_ratio)
        assert sum(n.rx_share for n in host.nics if n.kind == "ether") == pytest.approx(1.0, abs=1e-3)
        mountpoints = [fs.mountpoint for fs in host.filesystems]
        assert "/" in mountpoints and "/data" in mountpoints
        assert [fs.position for fs in host.filesystems] == sorted(fs.position for fs in host.filesystems)
        assert {s.kind for s in host.sensors} == {"cpu", "nvme"}


def test_cli_seed_reports_a_missing_directory_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "mock.db"
    assert run(["seed", "--seed", "42", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"llmon-mock: error: --out: directory '{out.parent}' does not exist\n"
    assert not out.exists()


def test_seed_refuses_a_directory_as_output(tmp_path: Path) -> None:
    with pytest.raises(SeedOutputError, match="is a directory"):
        build_seed(42, tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only directory")
def test_seed_refuses_an_unwritable_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(SeedOutputError, match="not writable"):
            build_seed(42, locked / "mock.db")
    finally:
        locked.chmod(0o700)


def test_a_database_from_another_schema_version_is_refused_in_one_line(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    with open_db(db_path) as conn, pytest.raises(DatabaseError) as caught:
        load_snapshot(conn)
    assert str(caught.value) == (
        f"the mock database has schema version '0', this llmon needs {SCHEMA_VERSION!r}: "
        "seed it again (llmon-mock seed)"
    )
