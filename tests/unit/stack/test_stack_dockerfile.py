"""deploy/Dockerfile and .dockerignore: multi-stage, pinned, non-root, a healthcheck that works.

No Docker engine is available, so the Dockerfile is parsed, its HEALTHCHECK command is run
against a local HTTP server, and .dockerignore is replayed with Docker's matching rules
(last matching pattern wins, `!` re-includes, a pattern matching a directory covers its contents).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from stack_compose import DESIGN_PORTS, REPO_ROOT

DOCKERFILE = REPO_ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
# DESIGN.md section 6: the six exporters, then the mock control API.
IMAGE_PORTS = {
    *range(DESIGN_PORTS["node-exporter"], DESIGN_PORTS["node-exporter"] + 6),
    DESIGN_PORTS["mock-control"],
}
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|make|build-essential|python3?-dev|libc6?-dev)\b")


@dataclass
class Stage:
    """One FROM section: its base image (ARGs expanded), alias and instructions."""

    image: str
    alias: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        """The argument text of every instruction with this keyword, in order."""
        return [text for name, text in self.instructions if name == keyword]


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages of a Dockerfile: continuation lines joined, comments dropped, global ARGs expanded."""
    logical = re.sub(r"\\\n(?:\s*#[^\n]*\n)*", " ", text)
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        keyword, _, rest = stripped.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            global_args[name] = default
        elif keyword == "FROM":
            words = re.sub(
                r"\$\{(\w+)\}|\$(\w+)", lambda m: global_args[m.group(1) or m.group(2)], rest
            ).split()
            stages.append(Stage(words[0], words[2] if len(words) > 2 and words[1].upper() == "AS" else None))
        else:
            stages[-1].instructions.append((keyword, rest))
    return stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    """The parsed deploy/Dockerfile."""
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


def test_parser_joins_continuations_and_expands_args() -> None:
    stages = parse_dockerfile(
        "ARG BASE=python:3.12.1-slim\nFROM ${BASE} AS b\nRUN a \\\n  # note\n  && b\nFROM $BASE\n"
    )
    assert [(stage.image, stage.alias) for stage in stages] == [
        ("python:3.12.1-slim", "b"),
        ("python:3.12.1-slim", None),
    ]
    assert stages[0].arguments("RUN") == ["a    && b"]


def test_multi_stage_on_the_same_pinned_python(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    assert stages[0].alias == "builder"
    for stage in stages:
        assert re.fullmatch(r"python:3\.12\.\d+-slim(-\w+)?", stage.image), stage.image
    # The virtualenv is copied across stages: its interpreter path must exist in the runtime.
    assert stages[0].image == stages[-1].image


def test_runtime_gets_the_virtualenv_and_no_build_tools(stages: list[Stage]) -> None:
    runtime = stages[-1]
    copies = runtime.arguments("COPY")
    assert copies == ["--from=builder /opt/llmon /opt/llmon"]
    assert not any(BUILD_TOOLS.search(command) for command in runtime.arguments("RUN"))
    assert any(
        entry.startswith("PATH=/opt/llmon/bin:") for entry in " ".join(runtime.arguments("ENV")).split()
    )


def test_runs_as_the_llmon_user_uid_10001(stages: list[Stage]) -> None:
    runtime = stages[-1]
    assert runtime.arguments("USER") == ["llmon"]
    setup = " ".join(runtime.arguments("RUN"))
    assert re.search(r"useradd\b[^&]*--uid 10001\b[^&]*\bllmon\b", setup)


def test_exposes_every_llmon_port_and_has_no_entrypoint(stages: list[Stage]) -> None:
    runtime = stages[-1]
    exposed: set[int] = set()
    for spec in " ".join(runtime.arguments("EXPOSE")).split():
        low, _, high = spec.partition("-")
        exposed.update(range(int(low), int(high or low) + 1))
    assert exposed == IMAGE_PORTS
    assert runtime.arguments("ENTRYPOINT") == []
    command = json.loads(runtime.arguments("CMD")[0])
    assert command[0] == "llmon-node-exporter"


def _healthcheck_command(stage: Stage) -> list[str]:
    (healthcheck,) = stage.arguments("HEALTHCHECK")
    options, _, command = healthcheck.partition("CMD ")
    assert re.search(r"--timeout=\d+s", options)
    return json.loads(command)


class _Healthz(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        """Keep test output clean."""


@pytest.fixture
def healthz_server(request: pytest.FixtureRequest) -> Iterator[int]:
    """A local /healthz answering with the status the test asks for; yields its port."""
    handler = type("Handler", (_Healthz,), {"status": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _run_healthcheck(stages: list[Stage], port: int) -> int:
    command = _healthcheck_command(stages[-1])
    assert command[0] == "python"
    result = subprocess.run(
        [sys.executable, *command[1:]],
        env={"LLMON_HEALTHCHECK_PORT": str(port)},
        capture_output=True,
        timeout=30,
        check=False,
    )
    return result.returncode


@pytest.mark.parametrize(
    ("healthz_server", "healthy"), [(200, True), (503, False)], indirect=["healthz_server"]
)
def test_healthcheck_follows_healthz(stages: list[Stage], healthz_server: int, healthy: bool) -> None:
    assert (_run_healthcheck(stages, healthz_server) == 0) is healthy


def test_healthcheck_fails_when_nothing_listens(stages: list[Stage]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthz)
    closed_port = server.server_address[1]
    server.server_close()
    assert _run_healthcheck(stages, closed_port) != 0


def test_healthcheck_port_defaults_to_the_node_exporter(stages: list[Stage]) -> None:
    environment = " ".join(stages[-1].arguments("ENV")).split()
    assert f"LLMON_HEALTHCHECK_PORT={DESIGN_PORTS['node-exporter']}" in environment


# --- .dockerignore ---------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    regex = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            regex, index = regex + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            regex, index = regex + ".*", index + 2
        elif pattern[index] == "*":
            regex, index = regex + "[^/]*", index + 1
        elif pattern[index] == "?":
            regex, index = regex + "[^/]", index + 1
        elif pattern[index] == "[":
            end = pattern.index("]", index)
            regex, index = regex + pattern[index : end + 1], end + 1
        else:
            regex, index = regex + re.escape(pattern[index]), index + 1
    return re.compile(regex)


def dockerignored(path: str, lines: list[str]) -> bool:
    """Whether Docker leaves `path` (relative to the context) out of the build context."""
    parents = [str(Path(*Path(path).parts[: depth + 1])) for depth in range(len(Path(path).parts))]
    ignored = False
    for line in lines:
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(candidate) for candidate in parents):
            ignored = not negated
    return ignored


@pytest.fixture(scope="module")
def ignore_lines() -> list[str]:
    """The lines of .dockerignore."""
    return DOCKERIGNORE.read_text(encoding="utf-8").splitlines()


def test_dockerignore_matcher_follows_docker_rules() -> None:
    rules = ["*", "!keep/", "keep/**/*.tmp"]
    assert dockerignored("drop.txt", rules)
    assert not dockerignored("keep/a/b.py", rules)
    assert dockerignored("keep/a/b.tmp", rules)


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        "var/mock.db",
        "var/log/node-twin.log",
        ".git/HEAD",
        "tests/fixtures/node/linux-6.18-vm/proc/stat",
        "grafana/dashboards/llmon-self.json",
        "exporters/base/__pycache__/server.cpython-312.pyc",
        "mock/.pytest_cache/v/cache/nodeids",
        "docker-compose.yml",
    ],
)
def test_dockerignore_keeps_out(ignore_lines: list[str], path: str) -> None:
    assert dockerignored(path, ignore_lines)


def test_everything_the_dockerfile_copies_from_the_context_is_sent(
    stages: list[Stage], ignore_lines: list[str]
) -> None:
    sources = [
        source
        for stage in stages
        for copy in stage.arguments("COPY")
        if not copy.startswith("--from=")
        for source in copy.split()[:-1]
    ]
    assert sources, "the builder must copy the project in"
    for source in sources:
        assert (REPO_ROOT / source).exists(), f"COPY {source}: missing from the repository"
        files = [REPO_ROOT / source] if (REPO_ROOT / source).is_file() else (REPO_ROOT / source).rglob("*.py")
        for file in files:
            relative = file.relative_to(REPO_ROOT).as_posix()
            assert not dockerignored(relative, ignore_lines), (
                f"{relative} is copied but .dockerignore drops it"
            )
