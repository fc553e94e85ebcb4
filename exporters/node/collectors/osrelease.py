"""os: the distribution's identity from os-release.

node_os_info{id="debian",name="Debian GNU/Linux",pretty_name="Debian GNU/Linux 12 (bookworm)",...} 1.0
node_os_version{id="debian",id_like="",name="Debian GNU/Linux"} 12.0
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from exporters.base import Source
from exporters.node.sources.files import HostPaths
from exporters.node.sources.osrelease import read_os_release

# node_os_info's labels (node_exporter's set) -> os-release keys.
INFO_LABELS = {
    "build_id": "BUILD_ID",
    "id": "ID",
    "id_like": "ID_LIKE",
    "image_id": "IMAGE_ID",
    "image_version": "IMAGE_VERSION",
    "name": "NAME",
    "pretty_name": "PRETTY_NAME",
    "variant": "VARIANT",
    "variant_id": "VARIANT_ID",
    "version": "VERSION",
    "version_codename": "VERSION_CODENAME",
    "version_id": "VERSION_ID",
}
VERSION_LABELS = ("id", "id_like", "name")


class OsReleaseCollector(Source):
    name = "os"

    def __init__(self, paths: HostPaths) -> None:
        self._paths = paths

    def collect(self) -> Iterator[Metric]:
        release = read_os_release(self._paths)
        info = GaugeMetricFamily(
            "node_os_info",
            "Operating system identity from os-release; the value is always 1.",
            labels=list(INFO_LABELS),
        )
        info.add_metric([release.get(key) for key in INFO_LABELS.values()], 1)
        yield info
        version = release.major_minor
        if version:
            family = GaugeMetricFamily(
                "node_os_version",
                "Major.minor part of the os-release VERSION_ID.",
                labels=list(VERSION_LABELS),
            )
            family.add_metric([release.get(INFO_LABELS[label]) for label in VERSION_LABELS], version)
            yield family
