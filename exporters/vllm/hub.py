"""Looking a model id up: local directory, then the Hugging Face cache, then (online) the Hub.

The only module that knows huggingface_hub and its exceptions; see metadata.py for the order and what
each step reads. Network calls are bounded by the exporter's request timeout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from huggingface_hub import HfApi, hf_hub_download, try_to_load_from_cache
from huggingface_hub import errors as hf_errors

from exporters.vllm.metadata import (
    MetadataError,
    ModelMetadata,
    from_config,
    read_directory,
    safetensors_dtype,
)


def _classify(exc: Exception, repo_id: str) -> MetadataError:
    if isinstance(exc, hf_errors.GatedRepoError):
        return MetadataError("gated", f"{repo_id}: gated on the Hub; give --models.token")
    if isinstance(exc, hf_errors.RepositoryNotFoundError):
        return MetadataError("not_found", f"{repo_id}: no such model on the Hub")
    if isinstance(exc, hf_errors.HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else 0
        if status == 429:
            return MetadataError("rate_limited", f"{repo_id}: the Hub answered 429")
        return MetadataError("http_status", f"{repo_id}: the Hub answered HTTP {status}")
    if isinstance(exc, httpx.TimeoutException):
        return MetadataError("timeout", f"{repo_id}: the Hub did not answer in time")
    if isinstance(exc, (httpx.TransportError, OSError, hf_errors.LocalEntryNotFoundError)):
        return MetadataError("unreachable", f"{repo_id}: cannot reach the Hub")
    return MetadataError("malformed", f"{repo_id}: unexpected answer from the Hub ({type(exc).__name__})")


class HubLookup:
    """Metadata of one model id; raises MetadataError with a bounded reason."""

    def __init__(
        self,
        cache_dir: Path | None,
        endpoint: str | None,
        token: str | None,
        offline: bool,
        timeout: float,
    ) -> None:
        self._cache_dir = cache_dir
        self._endpoint = endpoint
        self._token = token
        self.offline = offline
        self._timeout = timeout

    def lookup(self, model_id: str) -> ModelMetadata:
        if model_id.startswith(("/", "./", "~")):
            directory = Path(model_id).expanduser()
            if not directory.is_dir():
                raise MetadataError("not_found", "the model path is not a directory on this machine")
            return ModelMetadata(**read_directory(directory))
        try:
            cached = try_to_load_from_cache(model_id, "config.json", cache_dir=self._cache_dir)
        except hf_errors.HFValidationError:
            raise MetadataError(
                "invalid_id", f"{model_id[:80]!r} is neither a path nor a Hub model id"
            ) from None
        fields: dict[str, Any] = {}
        if isinstance(cached, str):
            fields = read_directory(Path(cached).parent)
            if "parameters" in fields and "license" in fields:
                return ModelMetadata(**fields)
        if self.offline:
            if fields:
                return ModelMetadata(**fields)
            raise MetadataError("not_cached", f"{model_id}: not in the local cache and the Hub is off")
        try:
            online = self._from_hub(model_id, need_config=not fields)
        except Exception as exc:  # huggingface_hub raises many types; each becomes a bounded reason
            if fields:
                return ModelMetadata(**fields)
            raise _classify(exc, model_id) from None
        return ModelMetadata(**{**online, **fields})

    def _from_hub(self, repo_id: str, need_config: bool) -> dict[str, Any]:
        api = HfApi(endpoint=self._endpoint, token=self._token or None)
        info = api.model_info(repo_id, expand=["config", "safetensors", "cardData"], timeout=self._timeout)
        fields: dict[str, Any] = {}
        if isinstance(info.config, dict):
            fields.update(from_config(info.config))
        if info.safetensors is not None:
            fields["parameters"] = int(info.safetensors.total)
            dtype = safetensors_dtype(dict(info.safetensors.parameters))
            if dtype:
                fields["dtype"] = dtype
        licence = info.card_data.get("license") if info.card_data is not None else None
        if licence:
            fields["license"] = str(licence)
        if need_config:
            path = hf_hub_download(
                repo_id, "config.json", cache_dir=self._cache_dir, endpoint=self._endpoint,
                token=self._token or None, etag_timeout=self._timeout,
            )  # fmt: skip
            fields.update(read_directory(Path(path).parent))
        return fields
