"""docker-compose.yml and docker-compose.mock.yml: schema, compose v1 merge, and the stack's rules.

Schema: the compose-spec JSON schema vendored in tests/fixtures/compose-spec.json (provenance in
stack_compose.COMPOSE_SCHEMA_FILE). Debian's docker-compose 1.29 also validates and merges the
files when installed; it predates the top-level `name:` key, which is dropped for it alone.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from stack_alloy import CORE_FILE, directory_files, parse, relabel
from stack_compose import (
    BASE_FILE,
    COMPOSE_SCHEMA_FILE,
    DESIGN_PORTS,
    MOCK_FILE,
    REPO_ROOT,
    argv,
    base_project,
    flag,
    healthcheck_test,
    host_path,
    invocations,
    load_yaml,
    mock_project,
    mounts,
    parse_mount,
    ports,
    project_version,
    seconds,
    size_bytes,
)

PROJECTS = {"base": base_project, "mock": mock_project}
ONE_SHOT = {"mock-seed"}
HOST_SYSTEM_PATHS = {"/", "/proc", "/sys", "/var/run/docker.sock", "/run/docker.sock"}
THIRD_PARTY_IMAGES = {
    "prometheus": r"prom/prometheus:v3\.\d+\.\d+",
    "alertmanager": r"prom/alertmanager:v0\.\d+\.\d+",
    "grafana": r"grafana/grafana:12\.\d+\.\d+",
    "loki": r"grafana/loki:3\.\d+\.\d+",
    "alloy": r"grafana/alloy:v1\.\d+\.\d+",
}
DATA_DIRS = {
    "prometheus": "/prometheus",
    "alertmanager": "/alertmanager",
    "grafana": "/var/lib/grafana",
    "loki": "/loki",
}
TWIN_ROOT = "/var/lib/llmon/node"


@pytest.fixture(scope="module", params=sorted(PROJECTS))
def project(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The real stack, then the mock stack (base with the overlay merged)."""
    return PROJECTS[request.param]()


@pytest.fixture(scope="module")
def mock() -> dict[str, Any]:
    """The mock stack as `docker compose -f docker-compose.yml -f docker-compose.mock.yml` runs it."""
    return mock_project()


# --- schema and compose v1 -------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> jsonschema.Draft7Validator:
    """A validator for the vendored compose-spec schema."""
    return jsonschema.Draft7Validator(json.loads(COMPOSE_SCHEMA_FILE.read_text(encoding="utf-8")))


def _schema_errors(schema: jsonschema.Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in schema.iter_errors(document)
    ]


@pytest.mark.parametrize("path", [BASE_FILE, MOCK_FILE], ids=lambda path: path.name)
def test_file_is_valid_compose_spec(schema: jsonschema.Draft7Validator, path: Path) -> None:
    assert _schema_errors(schema, load_yaml(path)) == []


def test_merged_project_is_valid_compose_spec(
    schema: jsonschema.Draft7Validator, project: dict[str, Any]
) -> None:
    assert _schema_errors(schema, project) == []


def test_schema_rejects_a_broken_service(schema: jsonschema.Draft7Validator) -> None:
    """The vendored schema is strict enough to catch a typo (so the validation above can fail)."""
    broken = {"services": {"x": {"image": "a:1", "helthcheck": {"test": ["CMD", "true"]}}}}
    assert any("helthcheck" in error for error in _schema_errors(schema, broken))


def _compose_v1(tmp_path: Path, files: list[Path], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose (v1) is not installed (Debian package docker-compose)")
    args = [binary, "--project-directory", str(REPO_ROOT)]
    for path in files:
        data = load_yaml(path)
        data.pop("name", None)  # compose v1 predates the top-level project name
        copy = tmp_path / path.name
        copy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        args += ["-f", str(copy)]
    clean_env = {
        key: value for key, value in os.environ.items() if not key.startswith(("GRAFANA_", "COMPOSE_"))
    }
    return subprocess.run(
        [*args, "config"], capture_output=True, text=True, timeout=60, env={**clean_env, **env}, check=False
    )


@pytest.mark.parametrize("files", [[BASE_FILE], [BASE_FILE, MOCK_FILE]], ids=["base", "base+mock"])
def test_compose_v1_accepts_the_files(tmp_path: Path, files: list[Path]) -> None:
    result = _compose_v1(tmp_path, files, {"GRAFANA_ADMIN_PASSWORD": "not-the-default"})
    assert result.returncode == 0, result.stderr
    grafana = yaml.safe_load(result.stdout)["services"]["grafana"]
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == "not-the-default"


def test_compose_v1_refuses_to_start_without_a_grafana_password(tmp_path: Path) -> None:
    result = _compose_v1(tmp_path, [BASE_FILE], {})
    assert result.returncode != 0
    assert "set GRAFANA_ADMIN_PASSWORD" in result.stderr


def _comparable(project: dict[str, Any], service: str) -> dict[str, Any]:
    """What both merges must agree on, with relative bind sources made absolute like v1 does."""
    definition = project["services"][service]
    volumes = set()
    for mount in mounts(definition):
        source = mount.source
        if mount.type == "bind" and source and source.startswith("."):
            source = str((REPO_ROOT / source).resolve())
        volumes.add((mount.type, source, mount.target, mount.read_only))
    return {
        "command": definition.get("command"),
        "pid": definition.get("pid"),
        "volumes": volumes,
        "ports": {(port.host_ip, port.published, port.target) for port in ports(definition)},
    }


def test_merge_reproduction_matches_compose_v1(tmp_path: Path, mock: dict[str, Any]) -> None:
    result = _compose_v1(tmp_path, [BASE_FILE, MOCK_FILE], {"GRAFANA_ADMIN_PASSWORD": "x"})
    assert result.returncode == 0, result.stderr
    merged_by_v1 = yaml.safe_load(result.stdout)
    assert set(merged_by_v1["services"]) == set(mock["services"])
    for service in mock["services"]:
        assert _comparable(merged_by_v1, service) == _comparable(mock, service), service


# --- the stack's rules, for the real and the mock stack --------------------------------------


def test_images_are_pinned(project: dict[str, Any]) -> None:
    for name, service in project["services"].items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", f"{name}: {image}"
        if name in THIRD_PARTY_IMAGES:
            assert re.fullmatch(THIRD_PARTY_IMAGES[name], image), f"{name}: {image}"
        else:
            assert service["build"]["dockerfile"] == "deploy/Dockerfile", name
            assert image == f"llmon:{project_version()}", name


def test_every_service_has_a_healthcheck_or_is_a_one_shot(project: dict[str, Any]) -> None:
    for name, service in project["services"].items():
        if name in ONE_SHOT:
            assert service["restart"] == "no"
            assert healthcheck_test(service) == ""
        else:
            assert service["restart"] == "unless-stopped", name
            assert healthcheck_test(service), f"{name} has no healthcheck"


def test_healthchecks_probe_the_port_the_service_publishes(project: dict[str, Any]) -> None:
    for name, service in project["services"].items():
        for port in ports(service):
            assert re.search(rf"\b{port.target}\b", healthcheck_test(service)), name


def test_published_ports_are_loopback_only_and_the_design_ports(project: dict[str, Any]) -> None:
    published = {}
    for name, service in project["services"].items():
        for port in ports(service):
            assert port.host_ip == "127.0.0.1", f"{name} publishes on {port.host_ip or 'all interfaces'}"
            assert port.published == port.target, name
            published[name] = port.target
    expected = {name: port for name, port in DESIGN_PORTS.items() if name in project["services"]}
    assert published == expected


def test_depends_on_waits_for_health_or_completion(project: dict[str, Any]) -> None:
    services = project["services"]
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            condition = spec["condition"]
            if dependency in ONE_SHOT:
                assert condition == "service_completed_successfully", f"{name} -> {dependency}"
            else:
                assert condition == "service_healthy", f"{name} -> {dependency}"
                assert healthcheck_test(services[dependency]), f"{name} waits on {dependency} without a check"


def test_state_lives_in_named_volumes(project: dict[str, Any]) -> None:
    declared = set(project["volumes"])
    used = set()
    for name, service in project["services"].items():
        for mount in mounts(service):
            if mount.type == "volume":
                assert mount.source in declared, f"{name}: undeclared volume {mount.source}"
                used.add(mount.source)
        if name in DATA_DIRS:
            data = [mount for mount in mounts(service) if mount.target == DATA_DIRS[name]]
            assert [mount.type for mount in data] == ["volume"], name
    assert used == declared


STORAGE_FLAGS = {"prometheus": "storage.tsdb.path", "alertmanager": "storage.path", "alloy": "storage.path"}


def test_storage_flags_point_into_named_volumes(project: dict[str, Any]) -> None:
    for name, option in STORAGE_FLAGS.items():
        service = project["services"][name]
        path = flag(argv(service), option)
        targets = {mount.target for mount in mounts(service) if mount.type == "volume"}
        assert path in targets, f"{name}: --{option}={path} is not a named volume"


def test_prometheus_retention_and_reload(project: dict[str, Any]) -> None:
    arguments = argv(project["services"]["prometheus"])
    assert seconds(flag(arguments, "storage.tsdb.retention.time") or "") == 15 * 86400
    assert size_bytes(flag(arguments, "storage.tsdb.retention.size") or "") >= 1024**3
    assert "--web.enable-lifecycle" in arguments


def test_grafana_admin_password_is_required_and_has_no_default(project: dict[str, Any]) -> None:
    environment = project["services"]["grafana"]["environment"]
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}", environment["GF_SECURITY_ADMIN_PASSWORD"])
    assert environment["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert environment["GF_USERS_ALLOW_SIGN_UP"] == "false"


def test_grafana_reads_provisioning_and_dashboards_read_only(project: dict[str, Any]) -> None:
    grafana = project["services"]["grafana"]
    binds = {mount.target: mount for mount in mounts(grafana) if mount.type == "bind"}
    assert binds["/etc/grafana/provisioning"].source == "./grafana/provisioning"
    assert binds["/var/lib/grafana/dashboards"].source == "./grafana/dashboards"
    assert all(mount.read_only for mount in binds.values())


def test_repository_config_is_mounted_read_only_and_exists(project: dict[str, Any]) -> None:
    for name, service in project["services"].items():
        for mount in mounts(service):
            if mount.type == "bind" and mount.source and mount.source.startswith("."):
                assert mount.read_only, f"{name}: {mount.source} is writable"
                assert (REPO_ROOT / mount.source).exists(), f"{name} mounts missing {mount.source}"


CONFIG_FLAGS = {"prometheus": "config.file", "alertmanager": "config.file", "loki": "config.file"}


def test_config_files_named_on_command_lines_resolve_to_repository_files(project: dict[str, Any]) -> None:
    services = project["services"]
    for name, option in CONFIG_FLAGS.items():
        container_path = flag(argv(services[name]), option)
        assert container_path, f"{name} has no --{option}"
        source = host_path(services[name], container_path)
        assert source is not None and source.is_file(), f"{name}: {container_path} -> {source}"
    alloy_path = argv(services["alloy"])[-1]
    alloy_source = host_path(services["alloy"], alloy_path)
    assert alloy_source is not None and alloy_source.exists(), alloy_path
    prometheus_config = yaml.safe_load(
        host_path(services["prometheus"], "/etc/prometheus/prometheus.yml").read_text(encoding="utf-8")
    )
    for pattern in prometheus_config.get("rule_files", []):
        assert list((REPO_ROOT / "prometheus").glob(pattern)), f"rule_files {pattern} matches nothing"


def test_loki_keeps_its_data_in_the_volume_its_config_writes_to(project: dict[str, Any]) -> None:
    loki_config = yaml.safe_load((REPO_ROOT / "loki" / "loki-config.yml").read_text(encoding="utf-8"))
    volume_targets = {mount.target for mount in mounts(project["services"]["loki"]) if mount.type == "volume"}
    assert loki_config["common"]["path_prefix"] in volume_targets


# --- the real stack --------------------------------------------------------------------------


def test_node_exporter_reads_the_host_read_only() -> None:
    service = base_project()["services"]["node-exporter"]
    arguments = argv(service)
    assert arguments[0] == "llmon-node-exporter"
    assert flag(arguments, "web.listen-address") == "0.0.0.0:9871"
    assert service["pid"] == "host"
    by_target = {mount.target: mount for mount in mounts(service)}
    for option, host in {"path.procfs": "/proc", "path.sysfs": "/sys", "path.rootfs": "/"}.items():
        mount = by_target[flag(arguments, option)]
        assert (mount.type, mount.source, mount.read_only) == ("bind", host, True), option
    assert "rslave" in by_target[flag(arguments, "path.rootfs")].options


def test_real_alloy_reads_docker_and_loads_the_whole_directory() -> None:
    service = base_project()["services"]["alloy"]
    socket = [mount for mount in mounts(service) if mount.target == "/var/run/docker.sock"]
    assert [(mount.source, mount.read_only) for mount in socket] == [("/var/run/docker.sock", True)]
    loaded = host_path(service, argv(service)[-1])
    assert loaded == REPO_ROOT / "loki" / "alloy"
    assert sorted(loaded.glob("*.alloy")) == directory_files()


# --- the mock stack --------------------------------------------------------------------------


def test_mock_adds_the_twins_and_the_control_api(mock: dict[str, Any]) -> None:
    assert {"mock-seed", "mock-control", "node-twin"} <= set(mock["services"])
    seed = argv(mock["services"]["mock-seed"])
    assert seed[:2] == ["llmon-mock", "seed"]
    assert flag(seed, "seed") == "42"
    database = flag(seed, "out")
    control = argv(mock["services"]["mock-control"])
    assert control[:2] == ["llmon-mock", "control"]
    assert flag(control, "listen") == f"0.0.0.0:{DESIGN_PORTS['mock-control']}"
    twin = argv(mock["services"]["node-twin"])
    assert twin[:3] == ["llmon-mock", "twin", "node"]
    assert flag(twin, "root") == TWIN_ROOT
    assert flag(control, "db") == flag(twin, "db") == database


def _volume_at(service: dict[str, Any], path: str) -> tuple[str, str, bool]:
    """(volume name, path inside the volume, read-only) for a container path of the service."""
    best = max(
        (mount for mount in mounts(service) if path == mount.target or path.startswith(mount.target + "/")),
        key=lambda mount: len(mount.target),
    )
    assert best.type == "volume", f"{path} is not on a named volume"
    return best.source or "", os.path.relpath(path, best.target), best.read_only


def test_mock_node_exporter_reads_the_twin_tree_from_the_shared_volume(mock: dict[str, Any]) -> None:
    services = mock["services"]
    exporter, twin = services["node-exporter"], services["node-twin"]
    arguments = argv(exporter)
    assert arguments[0] == "llmon-node-exporter"
    expected = {
        "path.procfs": f"{TWIN_ROOT}/proc",
        "path.sysfs": f"{TWIN_ROOT}/sys",
        "path.rootfs": f"{TWIN_ROOT}/rootfs",
        "collector.filesystem.statvfs-file": f"{TWIN_ROOT}/statvfs.json",
    }
    twin_volume, twin_root, twin_read_only = _volume_at(twin, flag(argv(twin), "root"))
    assert not twin_read_only
    for option, path in expected.items():
        assert flag(arguments, option) == path
        volume, inside, read_only = _volume_at(exporter, path)
        assert (volume, read_only) == (twin_volume, True), option
        assert inside.startswith(twin_root + "/"), option
    assert exporter["depends_on"]["node-twin"]["condition"] == "service_healthy"
    assert f"{TWIN_ROOT}/statvfs.json" in healthcheck_test(twin)


def test_mock_stack_touches_no_host_system_path(mock: dict[str, Any]) -> None:
    for name, service in mock["services"].items():
        assert service.get("pid", "") != "host", name
        host_binds = [
            mount.source
            for mount in mounts(service)
            if mount.type == "bind" and mount.source in HOST_SYSTEM_PATHS
        ]
        assert host_binds == [], name


def test_mock_overlay_itself_mounts_no_host_path() -> None:
    overlay = load_yaml(MOCK_FILE)
    for name, service in overlay["services"].items():
        for entry in service.get("volumes", []):
            assert parse_mount(entry).type != "bind", f"{name}: {entry}"


def test_mock_alloy_tails_the_twin_logs_without_docker(mock: dict[str, Any]) -> None:
    """Every log file a mock service writes is picked up by config.alloy, labelled with its service."""
    services = mock["services"]
    alloy = services["alloy"]
    assert argv(alloy)[-1] == "/etc/alloy/config.alloy"
    assert host_path(alloy, argv(alloy)[-1]) == CORE_FILE
    components = {block.component_id: block for block in parse(CORE_FILE.read_text(encoding="utf-8"))}
    glob = components["local.file_match.llmon_logs"].attributes["path_targets"][0]["__path__"]
    rules = components["discovery.relabel.llmon_logs"].children("rule")
    log_volume, _, alloy_read_only = _volume_at(alloy, os.path.dirname(glob))
    assert alloy_read_only
    writers = {
        name: invocation.log_file
        for name, service in services.items()
        for invocation in invocations(service)
        if invocation.log_file
    }
    assert {"mock-control", "node-twin", "node-exporter"} <= set(writers)
    for name, log_file in writers.items():
        assert fnmatch.fnmatch(log_file, glob), log_file
        assert _volume_at(services[name], os.path.dirname(log_file))[::2] == (log_volume, False), name
        labels = relabel(rules, {"__path__": log_file}, {"constants.hostname": "mock"})
        assert labels["service"] == name
