"""Prometheus file_sd files as engine targets, re-read whenever one changes.

The format is Prometheus's: a list of ``{"targets": ["host:port", ...], "labels": {...}}`` groups, in
JSON or YAML. A ``deployment`` label names the engines of its group (Prometheus would attach it to
each series; here it becomes the deployment); without it an engine is called ``host:port``.
``__scheme__`` picks https. A file that cannot be read or parsed keeps the targets it gave last (as
Prometheus does) and fails the ``discovery-file`` source, so the error is counted and logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import Metric

from exporters.base import CollectError, Source
from exporters.vllm.targets import Target, TargetRegistry, check_deployment, default_deployment, normalise_url

log = logging.getLogger(__name__)


def _groups(text: str, path: Path) -> list[Any]:
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        raise CollectError(
            "malformed", f"{path.name}: not valid {path.suffix.lstrip('.') or 'YAML'}"
        ) from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise CollectError("malformed", f"{path.name}: expected a list of target groups")
    return data


def targets_of(groups: list[Any]) -> tuple[list[Target], int]:
    """Targets in file_sd groups and how many entries were invalid (skipped, not fatal)."""
    found: list[Target] = []
    invalid = 0
    for group in groups:
        labels = group.get("labels") if isinstance(group, dict) else None
        addresses = group.get("targets") if isinstance(group, dict) else None
        if not isinstance(addresses, list) or not isinstance(labels or {}, dict):
            invalid += 1
            continue
        labels = labels or {}
        scheme = str(labels.get("__scheme__", "http"))
        for address in addresses:
            try:
                url = normalise_url(str(address), scheme)
                name = check_deployment(str(labels.get("deployment") or default_deployment(url)))
            except ValueError:
                invalid += 1
                continue
            found.append(Target(name, url, "file"))
    return found, invalid


class FileDiscovery(Source):
    """Re-reads the file_sd files that changed since the last refresh (by mtime and size)."""

    name = "discovery-file"
    background = True

    def __init__(self, paths: list[Path], registry: TargetRegistry) -> None:
        self._paths = list(paths)
        self._registry = registry
        self._seen: dict[Path, tuple[float, int]] = {}
        self._last: dict[Path, tuple[list[Target], int]] = {path: ([], 0) for path in self._paths}

    def collect(self) -> Iterator[Metric]:
        failures: list[CollectError] = []
        for path in self._paths:
            try:
                self._refresh(path)
            except CollectError as error:
                failures.append(error)
        targets = [target for path in self._paths for target in self._last[path][0]]
        self._registry.replace("file", targets, sum(invalid for _, invalid in self._last.values()))
        if failures:
            raise failures[0]
        return iter(())

    def _refresh(self, path: Path) -> None:
        try:
            stat = path.stat()
            stamp = (stat.st_mtime, stat.st_size)
            if self._seen.get(path) == stamp:
                return
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CollectError("io", f"{path.name}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CollectError("io", f"{path.name}: cannot be read ({type(exc).__name__})") from None
        self._last[path] = targets_of(_groups(text, path))
        self._seen[path] = stamp
        log.info("file_sd targets read", extra={"file": str(path), "targets": len(self._last[path][0])})
