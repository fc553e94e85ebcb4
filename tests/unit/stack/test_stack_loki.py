"""loki/loki-config.yml: single binary on the filesystem, retention that actually deletes, limits.

No Loki binary is obtainable here (Debian's `loki` package is an unrelated genetics program), so
the file is checked against what Loki 3.x requires: retention only works with the compactor's
retention_enabled, a delete-request store and a 24h TSDB index period; structured metadata needs
schema v13.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from stack_alloy import directory_files, load
from stack_compose import REPO_ROOT, seconds, size_bytes


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    """The parsed Loki configuration."""
    return yaml.safe_load((REPO_ROOT / "loki" / "loki-config.yml").read_text(encoding="utf-8"))


def test_duration_and_size_parsers_reject_nonsense() -> None:
    assert seconds("1h30m") == 5400
    assert size_bytes("256KB") == 262144
    with pytest.raises(ValueError, match="duration"):
        seconds("7 days")
    with pytest.raises(ValueError, match="size"):
        size_bytes("lots")


def test_single_tenant_single_node_on_port_3100(config: dict[str, Any]) -> None:
    assert config["auth_enabled"] is False
    assert config["server"]["http_listen_port"] == 3100
    assert config["common"]["replication_factor"] == 1
    assert config["common"]["ring"]["kvstore"]["store"] == "inmemory"


def test_storage_is_the_local_filesystem_under_the_path_prefix(config: dict[str, Any]) -> None:
    prefix = config["common"]["path_prefix"]
    assert prefix == "/loki"
    directories = [
        *config["common"]["storage"]["filesystem"].values(),
        config["compactor"]["working_directory"],
    ]
    assert all(directory.startswith(prefix + "/") for directory in directories), directories


def test_schema_is_tsdb_v13_with_a_daily_index(config: dict[str, Any]) -> None:
    periods = config["schema_config"]["configs"]
    latest = max(periods, key=lambda period: str(period["from"]))
    assert (latest["store"], latest["schema"], latest["object_store"]) == ("tsdb", "v13", "filesystem")
    assert seconds(latest["index"]["period"]) == 86400


def test_retention_is_enabled_and_at_least_a_day(config: dict[str, Any]) -> None:
    compactor = config["compactor"]
    assert compactor["retention_enabled"] is True
    assert compactor["delete_request_store"] == "filesystem"
    limits = config["limits_config"]
    retention = seconds(limits["retention_period"])
    assert retention >= 86400
    assert seconds(limits["max_query_lookback"]) <= retention
    assert seconds(limits["reject_old_samples_max_age"]) <= retention
    assert seconds(compactor["retention_delete_delay"]) < retention


def test_limits_bound_ingestion_and_allow_structured_metadata(config: dict[str, Any]) -> None:
    limits = config["limits_config"]
    assert limits["allow_structured_metadata"] is True
    assert 0 < limits["ingestion_rate_mb"] <= limits["ingestion_burst_size_mb"]
    assert (
        0 < size_bytes(limits["per_stream_rate_limit"]) <= size_bytes(limits["per_stream_rate_limit_burst"])
    )
    assert 0 < size_bytes(limits["max_line_size"]) <= 1024**2
    assert 0 < limits["max_global_streams_per_user"] <= 10000


def test_limits_leave_room_for_what_alloy_sends(config: dict[str, Any]) -> None:
    pipeline = load(directory_files())["loki.process.logs"]
    labels = pipeline.children("stage.label_keep")[0].attributes["values"]
    metadata = pipeline.children("stage.structured_metadata")[0].attributes["values"]
    limits = config["limits_config"]
    # Loki 3 adds service_name (derived from `service`) and detected_level on ingestion.
    assert limits["max_label_names_per_series"] >= len(labels) + 1
    assert limits["max_structured_metadata_entries_count"] >= len(metadata) + 1


def test_no_usage_reporting(config: dict[str, Any]) -> None:
    assert config["analytics"]["reporting_enabled"] is False
