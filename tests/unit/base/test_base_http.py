"""HTTP: exposition formats and compression, health and readiness, landing page, unknown paths and methods."""

from __future__ import annotations

import gzip
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx
import pytest
from base_helpers import HTTP, sample, wait_until
from conftest import StartExporter
from fake_base_exporter import BackgroundScriptedSource, FakeSettings, ScriptedSource, spec_serving
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics

from exporters.base import ExporterServer

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"  # then the escaping in use
TEXT = "text/plain; version=0.0.4; charset=utf-8"


def test_metrics_default_to_the_text_format(start_exporter: StartExporter) -> None:
    server = start_exporter([ScriptedSource("local")])
    response = HTTP.get(f"{server.url}/metrics", headers={"Accept": "*/*"})
    assert response.headers["content-type"] == TEXT
    assert sample(response.text, "llmon_fake_local_value") == 1
    assert "# EOF" not in response.text


def test_metrics_negotiate_openmetrics(start_exporter: StartExporter) -> None:
    server = start_exporter([ScriptedSource("local")])
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    response = HTTP.get(f"{server.url}/metrics", headers={"Accept": accept})
    assert response.headers["content-type"].startswith(OPENMETRICS)
    assert response.text.endswith("# EOF\n")
    families = {family.name: family for family in parse_openmetrics(response.text)}
    assert families["llmon_exporter_collect_errors"].type == "counter"
    assert families["llmon_fake_local_value"].samples[0].value == 1


def test_metrics_are_gzipped_only_when_the_client_accepts_it(start_exporter: StartExporter) -> None:
    server = start_exporter([ScriptedSource("local")])
    with HTTP.stream("GET", f"{server.url}/metrics", headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["content-encoding"] == "gzip"
        raw = b"".join(response.iter_raw())
    assert sample(gzip.decompress(raw).decode(), "llmon_fake_local_value") == 1

    with HTTP.stream("GET", f"{server.url}/metrics", headers={"Accept-Encoding": "identity"}) as response:
        assert "content-encoding" not in response.headers
        raw = b"".join(response.iter_raw())
    assert sample(raw.decode(), "llmon_fake_local_value") == 1


def test_healthz_answers_ok(start_exporter: StartExporter) -> None:
    server = start_exporter([])
    response = HTTP.get(f"{server.url}/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")


def test_readyz_waits_for_the_first_collection_of_every_source(start_exporter: StartExporter) -> None:
    slow = BackgroundScriptedSource("slow")
    slow.gate.clear()
    server = start_exporter([ScriptedSource("local"), slow], collect_interval=0.02, collect_timeout=60)
    wait_until(lambda: slow.calls == 1, "the first background call")
    response = HTTP.get(f"{server.url}/readyz")
    assert response.status_code == 503
    assert response.text == "waiting for the first collection of: slow\n"
    assert HTTP.get(f"{server.url}/healthz").status_code == 200
    slow.gate.set()
    wait_until(lambda: HTTP.get(f"{server.url}/readyz").status_code == 200, "readiness")
    assert HTTP.get(f"{server.url}/readyz").text == "ok\n"


def test_a_failed_first_collection_still_counts_as_ready(start_exporter: StartExporter) -> None:
    broken = ScriptedSource("broken")
    broken.error = OSError("no such file")
    server = start_exporter([broken])
    wait_until(lambda: HTTP.get(f"{server.url}/readyz").status_code == 200, "readiness")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs.extend(value for name, value in attrs if tag == "a" and name == "href" and value)


def test_landing_page_links_work_and_show_no_configuration(start_exporter: StartExporter) -> None:
    server: ExporterServer = start_exporter(
        [ScriptedSource("local"), BackgroundScriptedSource("remote")],
        token="landing-page-secret",
        greeting="configured-greeting",
        collect_interval=0.02,
    )
    response = HTTP.get(f"{server.url}/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    for expected in ("llmon-fake-exporter", server.spec.version, "<td>local</td>", "<td>remote</td>"):
        assert expected in page
    assert "landing-page-secret" not in page
    assert "configured-greeting" not in page
    links = _Links()
    links.feed(page)
    targets = {urljoin(f"{server.url}/", href) for href in links.hrefs}
    assert targets == {f"{server.url}/metrics", f"{server.url}/healthz", f"{server.url}/readyz"}
    wait_until(lambda: not server.collection.pending(), "readiness")
    assert {HTTP.get(target).status_code for target in targets} == {200}


def test_unknown_path_is_404_and_query_strings_are_ignored(start_exporter: StartExporter) -> None:
    server = start_exporter([])
    assert HTTP.get(f"{server.url}/metricz").status_code == 404
    assert HTTP.get(f"{server.url}/metrics?name[]=x").status_code == 200


def test_other_methods_are_405_and_head_has_no_body(start_exporter: StartExporter) -> None:
    server = start_exporter([ScriptedSource("local")])
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        response = HTTP.request(method, f"{server.url}/metrics", content=b"x=1")
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET, HEAD"
    head = HTTP.head(f"{server.url}/metrics", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) > 0


def test_stop_closes_the_port_and_idle_keep_alive_connections() -> None:
    with ExporterServer(spec_serving([]), FakeSettings(web_listen_address="127.0.0.1:0")) as server:
        url = server.url
        with httpx.Client() as client:
            assert client.get(f"{url}/healthz").status_code == 200  # leaves an idle keep-alive connection
            server.stop()
            with pytest.raises(httpx.TransportError):
                client.get(f"{url}/healthz")
    # Leaving the with block stops it a second time, which must be harmless.
