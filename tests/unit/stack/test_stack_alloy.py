"""loki/alloy/*.alloy: wiring, the labels that reach Loki, redaction and level extraction.

The configuration is parsed (stack_alloy) and its regular expressions, relabel rules and level
template are replayed in Python on sample log lines, so these tests check what the pipeline
does to a line, not only that the stages exist.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
import yaml
from stack_alloy import (
    CORE_FILE,
    Block,
    Call,
    Ref,
    apply_replace,
    directory_files,
    load,
    parse,
    relabel,
)
from stack_compose import REPO_ROOT, base_project, ports

ALLOWED_LABELS = {"service", "level", "host"}
LEVELS = {"debug", "info", "warn", "error"}
HOST = "gpu-node-01"
REDACTION_SAMPLES = yaml.safe_load((REPO_ROOT / "tests/fixtures/log-redaction.yml").read_text())

# Arguments and nested blocks each block may use, from the Alloy v1.18.1 reference
# (docs/sources/reference/components/...). A misspelt argument fails here instead of at
# `alloy run` time on someone's server.
_STAGES = {
    "stage.replace": {"expression", "replace", "source"},
    "stage.match": {"selector", "action", "drop_counter_reason", "pipeline_name"},
    "stage.json": {"expressions", "regex", "drop_malformed", "source"},
    "stage.logfmt": {"mapping", "regex", "source"},
    "stage.template": {"source", "template"},
    "stage.labels": {"values", "source_type"},
    "stage.structured_metadata": {"values", "regex"},
    "stage.label_keep": {"values"},
    "stage.label_drop": {"values"},
}
DOCUMENTED: dict[str, tuple[set[str], set[str]]] = {
    "local.file_match": ({"path_targets", "ignore_older_than", "sync_period"}, set()),
    "discovery.relabel": ({"targets"}, {"rule"}),
    "rule": (
        {"action", "modulus", "regex", "replacement", "separator", "source_labels", "target_label"},
        set(),
    ),
    "discovery.docker": (
        {"host", "refresh_interval", "port", "host_networking_host", "match_first_network"},
        set(),
    ),
    "loki.source.file": (
        {
            "targets",
            "forward_to",
            "encoding",
            "tail_from_end",
            "legacy_positions_file",
            "on_positions_file_error",
        },
        set(),
    ),
    "loki.source.docker": (
        {"host", "targets", "forward_to", "labels", "relabel_rules", "refresh_interval"},
        set(),
    ),
    "loki.process": ({"forward_to"}, set(_STAGES)),
    "loki.write": ({"external_labels", "max_streams"}, {"endpoint"}),
    "endpoint": (
        {
            "url",
            "name",
            "batch_wait",
            "batch_size",
            "remote_timeout",
            "min_backoff_period",
            "max_backoff_period",
            "max_backoff_retries",
            "retry_on_http_429",
        },
        set(),
    ),
    **{
        name: (arguments, set(_STAGES) if name == "stage.match" else set())
        for name, arguments in _STAGES.items()
    },
}
EXPORTS = {
    "loki.process": {"receiver"},
    "loki.write": {"receiver"},
    "discovery.relabel": {"output", "rules"},
    "discovery.docker": {"targets"},
    "local.file_match": {"targets"},
}
STDLIB_PREFIXES = ("constants.", "sys.", "coalesce", "string.", "array.", "encoding.", "convert.")


@pytest.fixture(scope="module")
def components() -> dict[str, Block]:
    """Every component of the directory Alloy runs on in the real stack."""
    return load(directory_files())


@pytest.fixture(scope="module")
def pipeline(components: dict[str, Block]) -> Block:
    """The loki.process component every source forwards to."""
    return components["loki.process.logs"]


def _component_type(component_id: str) -> str:
    return component_id.rsplit(".", 1)[0]


def _values(value: object) -> list[object]:
    """Every leaf value inside an attribute (lists, objects, call arguments)."""
    if isinstance(value, list):
        return [leaf for item in value for leaf in _values(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _values(item)]
    if isinstance(value, Call):
        return [value, *(leaf for item in value.args for leaf in _values(item))]
    return [value]


def _check_documented(block: Block, where: str) -> list[str]:
    arguments, children = DOCUMENTED[block.name]
    problems = [f"{where}: unknown argument {name}" for name in set(block.attributes) - arguments]
    for child in block.blocks:
        if child.name not in children:
            problems.append(f"{where}: unknown block {child.name}")
        else:
            problems.extend(_check_documented(child, f"{where} > {child.name}"))
    return problems


def test_components_use_only_documented_arguments(components: dict[str, Block]) -> None:
    problems = [
        problem
        for component_id, block in components.items()
        for problem in (
            _check_documented(block, component_id)
            if block.name in DOCUMENTED
            else [f"unknown component {block.name}"]
        )
    ]
    assert problems == []


def test_every_reference_resolves_to_a_component_export(components: dict[str, Block]) -> None:
    dangling = []
    for component_id, block in components.items():
        for value in _values(list(block.attributes.values())):
            if not isinstance(value, Ref) or value.path.startswith(STDLIB_PREFIXES):
                continue
            owner, _, export = value.path.rpartition(".")
            if owner not in components or export not in EXPORTS.get(_component_type(owner), set()):
                dangling.append(f"{component_id}: {value.path}")
    assert dangling == []


def test_core_file_runs_alone_without_docker() -> None:
    """The mock stack runs config.alloy alone: it must be complete and must not talk to Docker."""
    core = load([CORE_FILE])
    assert not [cid for cid in core if cid.startswith(("discovery.docker", "loki.source.docker"))]
    for block in core.values():
        for value in _values(list(block.attributes.values())):
            if isinstance(value, Ref) and not value.path.startswith(STDLIB_PREFIXES):
                assert value.path.rpartition(".")[0] in core, f"{block.component_id} needs {value.path}"


def test_sources_all_forward_to_the_one_pipeline_and_only_it_writes(components: dict[str, Block]) -> None:
    sources = {cid: block for cid, block in components.items() if cid.startswith("loki.source.")}
    assert set(sources) == {"loki.source.file.llmon_logs", "loki.source.docker.containers"}
    for block in sources.values():
        assert block.attributes["forward_to"] == [Ref("loki.process.logs.receiver")]
    writers = [
        cid
        for cid, block in components.items()
        if Ref("loki.write.loki.receiver") in block.attributes.get("forward_to", [])
    ]
    assert writers == ["loki.process.logs"]


def test_loki_write_pushes_to_the_compose_loki_service(components: dict[str, Block]) -> None:
    writer = components["loki.write.loki"]
    assert "external_labels" not in writer.attributes
    url = urlsplit(writer.children("endpoint")[0].attributes["url"])
    loki_config = yaml.safe_load((REPO_ROOT / "loki" / "loki-config.yml").read_text(encoding="utf-8"))
    loki_service = base_project()["services"]["loki"]
    assert url.hostname == "loki"
    assert url.port == loki_config["server"]["http_listen_port"]
    assert url.port in {port.target for port in ports(loki_service)}
    assert url.path == "/loki/api/v1/push"


def _labels_set_anywhere(components: dict[str, Block]) -> set[str]:
    labels = {"filename"}  # loki.source.file adds the file path as `filename` to every entry
    for block in components.values():
        for rule in block.children("rule"):
            labels.add(rule.attributes["target_label"])
        labels.update(block.attributes.get("labels", {}))
        for stage in block.walk():
            if stage.name in {"stage.labels", "stage.static_labels"}:
                labels.update(stage.attributes["values"])
    return labels


def test_only_service_level_and_host_reach_loki(components: dict[str, Block], pipeline: Block) -> None:
    moved = {
        source or name
        for name, source in pipeline.children("stage.structured_metadata")[0].attributes["values"].items()
    }
    assert _labels_set_anywhere(components) - moved == ALLOWED_LABELS
    assert moved == {"container_id", "container_name", "stream", "filename"}
    last = pipeline.blocks[-1]
    assert last.name == "stage.label_keep"
    assert set(last.attributes["values"]) == ALLOWED_LABELS
    structured = [
        index for index, stage in enumerate(pipeline.blocks) if stage.name == "stage.structured_metadata"
    ]
    assert structured == [len(pipeline.blocks) - 2]


def test_docker_relabel_names_the_compose_service_and_moves_ids_aside(components: dict[str, Block]) -> None:
    rules = components["discovery.relabel.containers"].children("rule")
    container = {
        "__meta_docker_container_name": "/llmon-prometheus-1",
        "__meta_docker_container_id": "3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e",
        "__meta_docker_container_label_com_docker_compose_service": "prometheus",
        "__meta_docker_container_log_stream": "stderr",
    }
    labels = relabel(rules, container, {"constants.hostname": HOST})
    visible = {name: value for name, value in labels.items() if not name.startswith("__")}
    assert visible == {
        "service": "prometheus",
        "host": HOST,
        "container_id": "3f4e5d6c7b8a",
        "container_name": "llmon-prometheus-1",
        "stream": "stderr",
    }


def test_docker_relabel_falls_back_to_the_container_name(components: dict[str, Block]) -> None:
    rules = components["discovery.relabel.containers"].children("rule")
    plain = {"__meta_docker_container_name": "/vllm-llama", "__meta_docker_container_id": "0123456789abcdef"}
    assert relabel(rules, plain, {"constants.hostname": HOST})["service"] == "vllm-llama"


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/var/log/llmon/node-twin.log", "node-twin"),
        ("/var/log/llmon/llmon-node-exporter.log", "llmon-node-exporter"),
        ("/var/log/llmon/prometheus.log", "prometheus"),
    ],
)
def test_log_file_service_is_the_file_name(components: dict[str, Block], path: str, service: str) -> None:
    rules = components["discovery.relabel.llmon_logs"].children("rule")
    labels = relabel(rules, {"__path__": path}, {"constants.hostname": HOST})
    assert (labels["service"], labels["host"]) == (service, HOST)


# --- redaction ------------------------------------------------------------------------------


def _redact(pipeline: Block, line: str) -> str:
    for stage in pipeline.children("stage.replace"):
        assert "source" not in stage.attributes, "redaction must act on the log line itself"
        line = apply_replace(stage.attributes["expression"], stage.attributes["replace"], line)
    return line


@pytest.mark.parametrize(
    ("line", "expected"),
    [(case["line"], case["expected"]) for case in REDACTION_SAMPLES["redacted"]],
)
def test_secrets_are_redacted(pipeline: Block, line: str, expected: str) -> None:
    redacted = _redact(pipeline, line)
    assert redacted == expected
    assert _redact(pipeline, redacted) == redacted


@pytest.mark.parametrize("line", REDACTION_SAMPLES["unchanged"])
def test_lines_without_secrets_pass_unchanged(pipeline: Block, line: str) -> None:
    assert _redact(pipeline, line) == line


def test_redaction_runs_before_anything_reads_the_line(pipeline: Block) -> None:
    names = [stage.name for stage in pipeline.blocks]
    last_replace = max(index for index, name in enumerate(names) if name == "stage.replace")
    first_reader = min(index for index, name in enumerate(names) if name != "stage.replace")
    assert last_replace < first_reader


def test_regular_expressions_stay_within_re2(components: dict[str, Block]) -> None:
    """Alloy compiles with Go's RE2: no lookaround, no backreferences."""
    patterns = [
        value
        for block in components.values()
        for nested in block.walk()
        for name, value in nested.attributes.items()
        if name in {"expression", "regex"}
    ]
    assert len(patterns) >= 8
    for pattern in patterns:
        re.compile(pattern)
        assert not re.search(r"\(\?<?[=!]|\\[1-9]", pattern), pattern


# --- level ----------------------------------------------------------------------------------


def _line_filter(selector: str, operator: str) -> re.Pattern[str]:
    match = re.search(re.escape(operator) + r'\s*"((?:[^"\\]|\\.)*)"', selector)
    assert match, f"no {operator} line filter in {selector}"
    return re.compile(re.sub(r"\\(.)", r"\1", match.group(1)))


def _raw_level(pipeline: Block, line: str) -> str | None:
    """Replay the two stage.match branches: JSON lines through stage.json, others through logfmt."""
    json_branch, logfmt_branch = pipeline.children("stage.match")
    json_filter = _line_filter(json_branch.attributes["selector"], "|~")
    assert _line_filter(logfmt_branch.attributes["selector"], "!~").pattern == json_filter.pattern
    if json_filter.search(line):
        expression = json_branch.children("stage.json")[0].attributes["expressions"]["level_raw"]
        assert re.fullmatch(r"[A-Za-z_]\w*", expression), "only plain field names are replayed"
        value = json.loads(line).get(expression)
        return None if value is None else str(value)
    field = logfmt_branch.children("stage.logfmt")[0].attributes["mapping"]["level_raw"]
    return _logfmt(line).get(field)


def _logfmt(line: str) -> dict[str, str]:
    """key=value pairs left to right, quoted values taken whole (as go-logfmt decodes them)."""
    pairs = {}
    for key, value in re.findall(r'([^\s="]+)(?:=("(?:[^"\\]|\\.)*"|[^\s"]*))?', line):
        pairs.setdefault(key, value[1:-1] if value.startswith('"') else value)
    return pairs


def _normalised_level(pipeline: Block, raw: str | None) -> str | None:
    """Replay the stage.template: ordered regexMatch branches, no else (empty drops the key)."""
    template = pipeline.children("stage.template")[0]
    assert template.attributes["source"] == "level"
    text = template.attributes["template"]
    assert text.startswith('{{ $l := ToLower (default "" .level_raw) }}')
    assert text.endswith("{{ end }}") and "{{ else }}" not in text
    branches = re.findall(r'regexMatch "([^"]+)" \$l \}\}([a-z]+)\{\{', text)
    assert branches
    value = (raw or "").lower()
    return next((level for pattern, level in branches if re.search(pattern, value)), None)


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ('{"ts":"2026-11-22T10:00:00Z","level":"WARNING","msg":"kv cache 95%"}', "warn"),
        ('  {"level":"fatal","msg":"engine died"}', "error"),
        ('{"level":"debug","msg":"tick"}', "debug"),
        ('ts=2026-11-22T10:00:00Z level=info msg="scrape ok"', "info"),
        ('ts=2026-11-22T10:00:00Z caller=main.go level="error" msg=boom', "error"),
        ("level=dbug msg=x", "debug"),
        ("level=notice msg=x", "info"),
        ("level=crit msg=x", "error"),
        ("level=banana msg=x", None),
        ('{"msg":"no level here"}', None),
        ("plain line without any structure", None),
        ('msg="user set level=error in config" level=info', "info"),
    ],
)
def test_level_is_extracted_and_normalised(pipeline: Block, line: str, level: str | None) -> None:
    assert _normalised_level(pipeline, _raw_level(pipeline, line)) == level


def test_level_template_only_produces_the_four_levels(pipeline: Block) -> None:
    text = pipeline.children("stage.template")[0].attributes["template"]
    assert set(re.findall(r"\}\}([a-z]+)\{\{", text)) == LEVELS
    assert pipeline.children("stage.labels")[0].attributes["values"] == {"level": ""}


def test_parser_rejects_what_it_does_not_understand() -> None:
    """The parser must fail loudly, or the tests above could pass on a half-read file."""
    with pytest.raises(ValueError, match="line 2"):
        parse('loki.write "x" {\n  url = "a" + "b"\n}\n')
    with pytest.raises(ValueError, match="set twice"):
        parse('loki.write "x" {\n  max_streams = 1\n  max_streams = 2\n}\n')
