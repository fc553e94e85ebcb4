"""The native demo stack: the mock twins, llmon's node exporter, Prometheus and Alertmanager as local
child processes, for machines without Docker (`llmon-mock demo`) and for the integration tests.

Prometheus runs the repository's own prometheus/prometheus.yml with only the target addresses (and the
rule file paths) rewritten to this machine, so what the demo and the tests exercise is the configuration
that ships, not a look-alike. Every child writes to its own log file under <var_dir>/log/ so Alloy can
ship them like the containers' logs.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import yaml

from mock import stack_parts
from mock.stack_parts import Component, Context, http_get

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
PROG = "llmon-mock"

# Each required binary: the names it goes by on PATH (Debian calls Alertmanager
# prometheus-alertmanager) and the Debian package that provides it.
REQUIRED_BINARIES: dict[str, tuple[tuple[str, ...], str]] = {
    "prometheus": (("prometheus",), "prometheus"),
    "alertmanager": (("alertmanager", "prometheus-alertmanager"), "prometheus-alertmanager"),
}

# How long a stopping child gets between SIGTERM and SIGKILL; the exporters promise 5 s.
STOP_GRACE_SECONDS = 6.0
LOG_TAIL_LINES = 12


class StackError(Exception):
    """A problem the person running the stack must fix; str() is the one line to print."""

    def __init__(self, message: str, *, exit_code: int = 1, detail: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.detail = detail


# The servers the stack runs besides llmon's own components, with their DESIGN ports (section 6)
# and the compose addresses prometheus/prometheus.yml gives them.
SERVERS = {"prometheus": 9090, "alertmanager": 9093}
SERVER_TARGETS = {"prometheus:9090": "prometheus", "alertmanager:9093": "alertmanager"}


def default_ports(components: list[Component]) -> dict[str, int]:
    """The DESIGN's ports for every listening child: what the demo binds."""
    return {**stack_parts.default_ports(components), **SERVERS}


def free_ports(names: list[str]) -> dict[str, int]:
    """A port the kernel says is free now for each name. All sockets stay open until every port is
    chosen so they are distinct; a race with another process remains possible, as with any bind-0
    scheme."""
    with contextlib.ExitStack() as stack:
        chosen = {}
        for name in names:
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((LOOPBACK, 0))
            chosen[name] = sock.getsockname()[1]
    return chosen


# The Debian services that listen on the DESIGN's ports when their package is installed.
DEBIAN_SERVICES = {
    "prometheus": "prometheus",
    "alertmanager": "prometheus-alertmanager",
    "node-exporter": "prometheus-node-exporter",
}


def check_ports_free(ports: Mapping[str, int]) -> None:
    """Refuse to start when a port is taken. The demo's ports are the documented ones (DESIGN section 6),
    and what already listens there is often Debian's own Prometheus or Alertmanager service: moving
    silently to other ports would leave the documented URLs showing that server instead of the demo."""
    for name, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((LOOPBACK, port))
            except OSError:
                service = DEBIAN_SERVICES.get(name)
                advice = (
                    f"if it is Debian's service: sudo systemctl stop {service}"
                    if service
                    else "is another llmon-mock demo running?"
                )
                raise StackError(
                    f"port {port} for {name} is already in use on {LOOPBACK}; {advice}", exit_code=2
                ) from None


def find_binary(name: str) -> str:
    """Absolute path of a required server binary, or a StackError telling how to install it."""
    aliases, package = REQUIRED_BINARIES[name]
    for alias in aliases:
        found = shutil.which(alias)
        if found:
            return found
    raise StackError(
        f"'{name}' not found on PATH; install it with: sudo apt-get install {package}", exit_code=2
    )


def console_script(name: str) -> str:
    """llmon's own entry points: the one installed next to the running interpreter (the venv) first,
    so the children run the same code as the parent, else whatever PATH has."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    raise StackError(f"'{name}' not found next to {sys.executable} or on PATH; run: make venv", exit_code=2)


def native_prometheus_config(
    source: Mapping[str, Any],
    addresses: Mapping[str, str],
    rule_files: list[str],
    interval: str | None = None,
) -> dict[str, Any]:
    """The repository's prometheus.yml with compose addresses replaced by native ones.

    Only static target addresses (scrape jobs and Alertmanagers) and rule_files change; with `interval`
    the scrape and evaluation intervals are shortened too (tests), and any scrape timeout longer than
    it is cut to it, since Prometheus rejects a timeout above the interval. A target with no native
    counterpart is an error rather than a silently dead job. file_sd paths stay relative: they resolve
    next to the generated file, where no fleet files are, so the native stack scrapes only its own
    processes.
    """
    config = json.loads(json.dumps(source))  # deep copy that also proves the YAML is plain data
    for job in config.get("scrape_configs") or []:
        _rewrite_static_targets(job.get("static_configs") or [], addresses, f"job {job.get('job_name')!r}")
    for manager in (config.get("alerting") or {}).get("alertmanagers") or []:
        _rewrite_static_targets(manager.get("static_configs") or [], addresses, "alerting.alertmanagers")
    config["rule_files"] = rule_files
    if interval is not None:
        _shorten_intervals(config, interval)
    return config


def _rewrite_static_targets(
    static_configs: list[dict[str, Any]], addresses: Mapping[str, str], where: str
) -> None:
    for static in static_configs:
        targets = static.get("targets") or []
        unknown = [target for target in targets if target not in addresses]
        if unknown:
            raise StackError(
                f"prometheus.yml {where} scrapes {', '.join(unknown)}, which the native stack does not run",
                exit_code=2,
            )
        static["targets"] = [addresses[target] for target in targets]


def _shorten_intervals(config: dict[str, Any], interval: str) -> None:
    seconds = _duration_seconds(interval)
    sections = [config.setdefault("global", {}), *(config.get("scrape_configs") or [])]
    for section in sections:
        if section is sections[0] or "scrape_interval" in section:
            section["scrape_interval"] = interval
        timeout = section.get("scrape_timeout")
        if timeout is not None and _duration_seconds(timeout) > seconds:
            section["scrape_timeout"] = interval
    sections[0]["evaluation_interval"] = interval


def _duration_seconds(duration: str) -> float:
    """Seconds in a simple Prometheus duration ("1s", "15s", "2m", "1h", "500ms")."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    for suffix in sorted(units, key=len, reverse=True):
        if duration.endswith(suffix) and duration[: -len(suffix)].isdecimal():
            return int(duration[: -len(suffix)]) * units[suffix]
    raise ValueError(f"unsupported duration {duration!r}")


def _die_with_parent() -> None:
    """Runs in each child before exec: the kernel sends it SIGTERM if the stack's process dies without
    cleaning up (SIGKILL, a crashed test run), so no server is ever left orphaned."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Child:
    """One server process with its own log file; knows how to stop itself and what it last said."""

    def __init__(self, name: str, argv: list[str], log_path: Path, ready: Callable[[], bool]) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.ready = ready
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, env: Mapping[str, str]) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            # Own session: a Ctrl-C in the terminal reaches only the stack, which then stops the
            # children in order instead of all of them racing.
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, no locks or threads involved
        )

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def exit_code(self) -> int | None:
        """None while running (or never started), else the exit status (negative: killed by signal)."""
        return None if self.process is None else self.process.poll()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        if self.running():
            assert self.process is not None
            self.process.terminate()

    def reap(self, deadline: float) -> None:
        """Wait until the deadline for a terminated child, then kill it; always close the log."""
        if self.process is not None:
            try:
                self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of the child's log, to show next to any message about the child."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - 16384))
                text = log.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def describe_exit(self) -> str:
        code = self.exit_code()
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        return f"{self.name} {how}"


def indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines()) or "    (log is empty)"


class NativeStack:
    """Starts, watches and stops the native stack. Used as a context manager by the tests and by
    `run_demo`; `start()` cleans up after itself when it fails, so no exit path leaves children behind.
    """

    def __init__(
        self,
        var_dir: Path,
        *,
        scenario: str = "normal",
        seed: int = 42,
        ports: Mapping[str, int] | None = None,
        interval: str | None = None,
        twin_interval: float = 1.0,
        ready_timeout: float = 90.0,
        admin_api: bool = False,
        repo_root: Path = REPO_ROOT,
    ) -> None:
        """`ports=None` picks free ports (tests); `interval` (e.g. "1s") overrides the scrape and rule
        evaluation intervals of prometheus.yml, which otherwise stay the file's own, and Prometheus's
        alert resend delay; `admin_api`
        enables Prometheus's TSDB admin endpoints, so tests can wipe history between scenarios."""
        self.var_dir = Path(var_dir).resolve()
        self.scenario = scenario
        self.seed = seed
        self.components = stack_parts.all_components()
        listening = [*default_ports(self.components)]
        self.ports = dict(ports) if ports is not None else free_ports(listening)
        self.interval = interval
        self.twin_interval = twin_interval
        self.ready_timeout = ready_timeout
        self.admin_api = admin_api
        self.repo_root = repo_root
        self.children: dict[str, Child] = {}

    # --- locations -----------------------------------------------------------------------------------

    @property
    def db_path(self) -> Path:
        return self.var_dir / "mock.db"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def context(self) -> Context:
        """What the components' command lines and probes are built from."""
        return Context(
            var_dir=self.var_dir,
            db=self.db_path,
            ports=self.ports,
            twin_interval=self.twin_interval,
            script=console_script,
        )

    def url(self, name: str) -> str:
        """Base URL of a listening child ("node-exporter", "mock-control", "prometheus", ...)."""
        return f"http://{LOOPBACK}:{self.ports[name]}"

    def twin_root(self, slice_name: str) -> Path:
        return self.context.twin_root(slice_name)

    @property
    def prometheus_url(self) -> str:
        return self.url("prometheus")

    @property
    def alertmanager_url(self) -> str:
        return self.url("alertmanager")

    def prometheus_page(self, page: str) -> str:
        """URL of a Prometheus web page ("targets", "alerts"): upstream builds serve the React UI at
        /<page>, Debian's package ships only the classic UI, at /classic/<page>."""
        for path in (f"/{page}", f"/classic/{page}"):
            if http_get(self.prometheus_url + path)[0] == 200:
                return self.prometheus_url + path
        return f"{self.prometheus_url}/{page}"

    def alertmanager_has_ui(self) -> bool:
        """Debian's prometheus-alertmanager is built without the Elm web UI (it serves a placeholder
        page instead); the real UI loads /script.js."""
        return http_get(self.alertmanager_url + "/script.js")[0] == 200

    # --- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> NativeStack:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Prepare the seed DB and configs, start every child in dependency order and wait until
        Prometheus scrapes every target successfully."""
        binaries = {name: find_binary(name) for name in REQUIRED_BINARIES}
        mock_cli = console_script("llmon-mock")
        prometheus_config = self._write_prometheus_config()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._prepare_db(mock_cli)
            self._define_children(binaries, prometheus_config)
            for child in self.children.values():
                self._start_child(child)
            self.wait_for_targets_up()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the children, newest first (Prometheus before what it scrapes), each with a grace period
        before SIGKILL; safe to call more than once."""
        order = list(reversed(self.children.values()))
        for child in order:
            child.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in order:
            child.reap(deadline)

    def restart(self, name: str) -> None:
        """Start a fresh process for one child (stopping it first if it still runs) and wait until it is
        ready; tests use it to bring back a twin they killed."""
        child = self.children[name]
        child.terminate()
        child.reap(time.monotonic() + STOP_GRACE_SECONDS)
        self._start_child(child)

    def dead_children(self) -> list[Child]:
        """Children that have exited while the stack runs: it only stops them in stop() and restart(),
        so each of these died on its own."""
        return [child for child in self.children.values() if child.exit_code() is not None]

    # --- preparation -------------------------------------------------------------------------------

    def _prepare_db(self, mock_cli: str) -> None:
        if not self.db_path.exists():
            self._run_cli(mock_cli, "seed", "--seed", str(self.seed), "--out", str(self.db_path))
        self._run_cli(mock_cli, "scenario", "set", self.scenario, "--db", str(self.db_path))

    def _run_cli(self, mock_cli: str, *args: str) -> None:
        result = subprocess.run([mock_cli, *args], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            last_line = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise StackError(
                f"'llmon-mock {' '.join(args)}' failed: {last_line}", exit_code=result.returncode
            )

    def _write_prometheus_config(self) -> Path:
        source_path = self.repo_root / "prometheus" / "prometheus.yml"
        try:
            source = yaml.safe_load(source_path.read_text())
        except (OSError, yaml.YAMLError) as error:
            raise StackError(f"cannot read {source_path}: {error}", exit_code=2) from None
        stands_in = {c.scrape_target: c.name for c in self.components if c.scrape_target}
        addresses = {
            compose: f"{LOOPBACK}:{self.ports[name]}"
            for compose, name in {**stands_in, **SERVER_TARGETS}.items()
        }
        rules_dir = self.repo_root / "prometheus" / "rules"
        rule_files = sorted(str(path) for pattern in ("*.yml", "*.yaml") for path in rules_dir.glob(pattern))
        config = native_prometheus_config(source, addresses, rule_files, self.interval)
        target = self.var_dir / "prometheus" / "prometheus.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            "# Generated by mock/stack.py from prometheus/prometheus.yml; edit that file instead.\n"
            + yaml.safe_dump(config, sort_keys=False)
        )
        return target

    def _define_children(self, binaries: Mapping[str, str], prometheus_config: Path) -> None:
        """The children in start order: each depends only on those before it. llmon's own components
        come from mock.stack_parts; Alertmanager and Prometheus start last."""
        ports, context = self.ports, self.context
        specs: list[tuple[str, list[str], Callable[[], bool]]] = [
            (component.name, component.argv(context), functools.partial(component.ready, context))
            for component in self.components
        ]
        specs += [
            (
                "alertmanager",
                [
                    binaries["alertmanager"],
                    f"--config.file={self.repo_root / 'prometheus' / 'alertmanager.yml'}",
                    f"--storage.path={self.var_dir / 'alertmanager'}",
                    f"--web.listen-address={LOOPBACK}:{ports['alertmanager']}",
                    "--cluster.listen-address=",
                ],
                lambda: http_get(self.alertmanager_url + "/-/ready")[0] == 200,
            ),
            (
                "prometheus",
                [
                    binaries["prometheus"],
                    f"--config.file={prometheus_config}",
                    f"--storage.tsdb.path={self.var_dir / 'prometheus' / 'data'}",
                    f"--web.listen-address={LOOPBACK}:{ports['prometheus']}",
                    *(["--web.enable-admin-api"] if self.admin_api else []),
                    # Alerts that fired before Alertmanager was discovered are re-sent after this
                    # delay (default 1m); a shortened interval shortens it too.
                    *([f"--rules.alert.resend-delay={self.interval}"] if self.interval else []),
                ],
                lambda: http_get(self.prometheus_url + "/-/ready")[0] == 200,
            ),
        ]
        self.children = {
            name: Child(name, argv, self.log_dir / f"{name}.log", ready) for name, argv, ready in specs
        }

    def _child_env(self) -> dict[str, str]:
        # Unbuffered so a child's last words reach its log file before it dies.
        return {**os.environ, "PYTHONUNBUFFERED": "1", "LLMON_MOCK_DB": str(self.db_path)}

    def _start_child(self, child: Child) -> None:
        child.start(self._child_env())
        self._wait(
            child.ready,
            watch=[child],
            failure=lambda: StackError(
                f"{child.name} is not ready after {self.ready_timeout:.0f} s",
                detail=f"{child.log_path} ends with:\n{indent(child.log_tail())}",
            ),
        )

    # --- readiness -------------------------------------------------------------------------------------

    def _wait(
        self, condition: Callable[[], bool], watch: list[Child], failure: Callable[[], StackError]
    ) -> None:
        """Poll `condition` until the ready timeout, failing at once if a watched child exits."""
        deadline = time.monotonic() + self.ready_timeout
        while not condition():
            for child in watch:
                if child.exit_code() is not None:
                    raise StackError(
                        f"{child.describe_exit()} while starting",
                        detail=f"{child.log_path} ends with:\n{indent(child.log_tail())}",
                    )
            if time.monotonic() > deadline:
                raise failure()
            time.sleep(0.2)

    def targets(self) -> list[dict[str, Any]]:
        """Prometheus's active targets (GET /api/v1/targets); empty while Prometheus does not answer."""
        status, body = http_get(self.prometheus_url + "/api/v1/targets?state=active")
        if status != 200:
            return []
        return json.loads(body)["data"]["activeTargets"]

    def wait_for_targets_up(self) -> None:
        """Wait until Prometheus has scraped every configured target successfully; on timeout, name the
        first target that is not up, Prometheus's error for it and the tail of the owning child's log."""
        expected = self._expected_target_count()
        last: list[dict[str, Any]] = []

        def all_up() -> bool:
            nonlocal last
            last = self.targets()
            return len(last) >= expected and all(target["health"] == "up" for target in last)

        self._wait(all_up, watch=list(self.children.values()), failure=lambda: self._target_failure(last))

    def _expected_target_count(self) -> int:
        config = yaml.safe_load((self.var_dir / "prometheus" / "prometheus.yml").read_text())
        return sum(
            len(static.get("targets") or [])
            for job in config.get("scrape_configs") or []
            for static in job.get("static_configs") or []
        )

    def _target_failure(self, targets: list[dict[str, Any]]) -> StackError:
        down = [target for target in targets if target["health"] != "up"]
        if not down:
            return StackError(
                f"Prometheus lists {len(targets)} targets after {self.ready_timeout:.0f} s, not all"
            )
        target = down[0]
        port = int(target["labels"]["instance"].rsplit(":", 1)[-1])
        owner = next((name for name, owned in self.ports.items() if owned == port), None)
        detail = ""
        if owner is not None:
            child = self.children[owner]
            detail = f"{child.log_path} ends with:\n{indent(child.log_tail())}"
        return StackError(
            f"Prometheus target {target['labels']['job']} ({target['scrapeUrl']}) is not up after"
            f" {self.ready_timeout:.0f} s: {target.get('lastError') or target['health']}",
            detail=detail,
        )


# --- the demo ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (systemd, `kill`) stops the demo the same clean way as Ctrl-C."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_urls(stack: NativeStack) -> None:
    var = stack.var_dir
    alertmanager = stack.alertmanager_url
    if not stack.alertmanager_has_ui():
        alertmanager += (
            f"  (API only, this build has no web UI: amtool --alertmanager.url={alertmanager} alert)"
        )
    rows = [
        ("Prometheus", stack.prometheus_url),
        ("  targets", stack.prometheus_page("targets")),
        ("  alerts", stack.prometheus_page("alerts")),
        ("Alertmanager", alertmanager),
    ]
    for component in stack.components:
        if component.port is not None:
            url = stack.url(component.name)
            rows.append((component.title, url))
            rows += [(f"  {label}", url + path) for label, path in component.links]
    rows.append(("Logs", str(stack.log_dir)))
    print(f"llmon native demo is up: scenario {stack.scenario}, seed {stack.seed}")
    width = max(len(label) for label, _ in rows)
    for label, url in rows:
        print(f"  {label:<{width}}  {url}")
    make_var = "" if var == Path("var").resolve() else f" VAR={var}"
    print(f"Switch scenario:    make scenario S=disk-full{make_var}")
    print(f"                    (or: llmon-mock scenario set disk-full --db {var}/mock.db)")
    print("Stop:               Ctrl-C")
    sys.stdout.flush()


def _supervise(stack: NativeStack) -> int:
    """Watch the children until interrupted. A twin, exporter or control API that dies is reported once
    and the rest keep running: the stack itself then shows the failure (target down, stale data,
    LlmonTargetDown), which is worth seeing in a demo. Prometheus dying ends the demo, as nothing is
    left to look at."""
    reported: set[str] = set()
    while True:
        for child in stack.dead_children():
            if child.name in reported:
                continue
            reported.add(child.name)
            print(f"{PROG}: {child.describe_exit()}; {child.log_path} ends with:", file=sys.stderr)
            print(indent(child.log_tail()), file=sys.stderr)
            if child.name == "prometheus":
                return 1
        time.sleep(1.0)


def run_demo(scenario: str, seed: int, var_dir: Path) -> int:
    """`llmon-mock demo`: start the native stack on the DESIGN's default ports, print where everything
    is and run until Ctrl-C or SIGTERM. Exit 0 after a requested stop, 2 when something must be
    installed or a port freed first, 1 when the stack fails."""
    components = stack_parts.all_components()
    stack = NativeStack(Path(var_dir), scenario=scenario, seed=seed, ports=default_ports(components))
    with _sigterm_as_interrupt():
        try:
            for name in REQUIRED_BINARIES:
                find_binary(name)
            check_ports_free(stack.ports)
            print(f"{PROG}: starting the native stack in {stack.var_dir} ...", flush=True)
            stack.start()
        except StackError as error:
            print(f"{PROG}: error: {error}", file=sys.stderr)
            if error.detail:
                print(error.detail, file=sys.stderr)
            return error.exit_code
        except KeyboardInterrupt:
            return 0
        try:
            _print_urls(stack)
            return _supervise(stack)
        except KeyboardInterrupt:
            print(f"\n{PROG}: stopping ...", flush=True)
            return 0
        finally:
            stack.stop()
