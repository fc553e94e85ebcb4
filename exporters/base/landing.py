"""The HTML page at /: what this exporter is and where its endpoints are; no configuration values."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .source import Source
from .spec import ExporterSpec

_MODES = {True: "in the background, served from the last snapshot", False: "at scrape time"}
_LINKS = (("metrics", "Metrics"), ("healthz", "Health"), ("readyz", "Readiness"))


def render_landing_page(spec: ExporterSpec, sources: Sequence[Source]) -> bytes:
    """Relative links, so the page keeps working behind a reverse proxy that adds a path prefix."""
    links = "".join(f'<li><a href="{href}">{label}</a> <code>/{href}</code></li>' for href, label in _LINKS)
    rows = "".join(
        f"<tr><td>{escape(source.name)}</td><td>{_MODES[source.background]}</td></tr>" for source in sources
    )
    title = escape(spec.program)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>"
        f"<h1>{title}</h1><p>{escape(spec.description)}</p><p>Version {escape(spec.version)}</p>"
        f"<ul>{links}</ul>"
        f"<h2>Sources</h2><table><tr><th>Source</th><th>Collected</th></tr>{rows}</table>"
        "</body></html>\n"
    )
    return page.encode("utf-8")
