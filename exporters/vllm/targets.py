"""Engine targets: what an engine is called (``deployment``), where it is, and who found it.

Three discoveries feed one registry. Each replaces its own list whenever it refreshes; the merged view
keeps the first of any two entries that point at the same URL or claim the same deployment name, in
the order static, file, docker (what an operator typed beats what was found), and counts the rest as
dropped so a duplicate is visible instead of silently scraped twice.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

DISCOVERIES = ("static", "file", "docker")
MAX_DEPLOYMENT_LENGTH = 128


@dataclass(frozen=True)
class Target:
    """One engine: its ``deployment`` label, its base URL (no trailing slash) and its discovery."""

    deployment: str
    url: str
    discovery: str

    @property
    def key(self) -> str:
        """The URL with scheme and host lower-cased and the default port spelled out, for duplicates."""
        parts = urlsplit(self.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}{parts.path.rstrip('/')}"


def normalise_url(text: str, scheme: str = "http") -> str:
    """``host:port`` or an http(s) URL as a base URL; ValueError names what is wrong."""
    url = text.strip()
    if "://" not in url:
        url = f"{scheme}://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"expected an http:// or https:// URL or host:port, got scheme {parts.scheme!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port is not a number from 0 to 65535") from None
    if not parts.hostname:
        raise ValueError("the address has no host")
    if port is None and "://" not in text:
        raise ValueError("host:port needs a port")
    if parts.query or parts.fragment:
        raise ValueError("a target URL takes no query or fragment")
    return url.rstrip("/")


def check_deployment(name: str) -> str:
    """A deployment name is a label value: non-empty, printable, bounded."""
    if not name or len(name) > MAX_DEPLOYMENT_LENGTH or not name.isprintable():
        raise ValueError(f"a deployment name must be 1 to {MAX_DEPLOYMENT_LENGTH} printable characters")
    return name


def default_deployment(url: str) -> str:
    """host:port of the URL, the name Prometheus would give it as ``instance``."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_static(text: str) -> Target:
    """``URL`` or ``DEPLOYMENT=URL`` from ``--vllm.target``."""
    name, sep, address = text.partition("=")
    if not sep or "://" in name:
        name, address = "", text
    url = normalise_url(address)
    return Target(check_deployment(name.strip() or default_deployment(url)), url, "static")


class TargetRegistry:
    """The latest list of each discovery and their merged, de-duplicated view (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lists: dict[str, list[Target]] = {name: [] for name in DISCOVERIES}
        self._invalid: Counter[str] = Counter()
        self._merged: tuple[list[Target], Counter[tuple[str, str]]] = ([], Counter())

    def replace(self, discovery: str, targets: list[Target], invalid: int = 0) -> None:
        """The discovery's new list; ``invalid`` entries it had to skip are reported as dropped."""
        with self._lock:
            self._lists[discovery] = list(targets)
            self._invalid[discovery] = invalid
            self._merged = self._merge()

    def _merge(self) -> tuple[list[Target], Counter[tuple[str, str]]]:
        kept: list[Target] = []
        urls: set[str] = set()
        names: set[str] = set()
        dropped: Counter[tuple[str, str]] = Counter()
        for discovery in DISCOVERIES:
            if self._invalid[discovery]:
                dropped[(discovery, "invalid")] += self._invalid[discovery]
            for target in self._lists[discovery]:
                if target.key in urls:
                    dropped[(discovery, "duplicate_url")] += 1
                elif target.deployment in names:
                    dropped[(discovery, "duplicate_deployment")] += 1
                else:
                    urls.add(target.key)
                    names.add(target.deployment)
                    kept.append(target)
        return kept, dropped

    def targets(self) -> list[Target]:
        with self._lock:
            return list(self._merged[0])

    def dropped(self) -> Counter[tuple[str, str]]:
        """(discovery, reason) -> entries left out of the merged view in the latest refreshes."""
        with self._lock:
            return Counter(self._merged[1])
