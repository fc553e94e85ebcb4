"""Hugging Face metadata of a served model: architecture, parameters, dtype, quantization, context
length and licence, offline first.

Lookup order for a model id (the ``root`` of /v1/models, which is what vLLM loaded):
1. a local directory (vLLM can serve a path): its config.json, README.md front matter and the headers
   of its *.safetensors files;
2. the local Hugging Face cache (``--models.cache-dir`` / $HF_HUB_CACHE), read the same way from the
   cached snapshot: no network at all when the model was downloaded on this machine, as it usually was
   for vLLM to serve it;
3. unless offline (``--models.offline`` or HF_HUB_OFFLINE), the Hub: one ``model_info`` call (config
   summary, safetensors parameter counts, card data) and config.json through ``hf_hub_download``, which
   stores it in the cache so the next lookup is local.
Parameter counts from safetensors headers are exact (the sum of the tensor shapes); only the first 8
bytes and the JSON header of each file are read. Each failure is one bounded reason.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

UNKNOWN = "unknown"
#: Keys that hold the context length in config.json, most specific first.
CONTEXT_KEYS = ("max_position_embeddings", "max_sequence_length", "seq_length", "n_positions", "max_seq_len")
MAX_HEADER_BYTES = 100 * 1024 * 1024
_DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "float32": 4}
_SAFETENSORS_DTYPES = {"BF16": "bfloat16", "F16": "float16", "F32": "float32", "F8_E4M3": "float8_e4m3fn"}


class MetadataError(Exception):
    """A lookup that gave nothing; ``reason``: not_found, gated, not_cached, unreachable, timeout,
    rate_limited, malformed, invalid_id."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ModelMetadata:
    """What llmon_model_info, llmon_model_parameters and llmon_model_context_length show."""

    architecture: str = UNKNOWN
    dtype: str = UNKNOWN
    quantization: str = "none"
    license: str = UNKNOWN
    parameters: int | None = None
    context_length: int | None = None


def _text_config(config: dict[str, Any]) -> dict[str, Any]:
    """Multimodal configs keep the language model's numbers in text_config."""
    nested = config.get("text_config")
    return nested if isinstance(nested, dict) else {}


def from_config(config: dict[str, Any]) -> dict[str, Any]:
    """The metadata fields config.json gives (architecture, dtype, quantization, context length)."""
    fields: dict[str, Any] = {}
    architectures = config.get("architectures")
    if isinstance(architectures, list) and architectures and isinstance(architectures[0], str):
        fields["architecture"] = architectures[0]
    dtype = config.get("torch_dtype") or config.get("dtype") or _text_config(config).get("torch_dtype")
    if isinstance(dtype, str):
        fields["dtype"] = dtype
    quant = config.get("quantization_config")
    if isinstance(quant, dict):
        fields["quantization"] = str(quant.get("quant_method") or quant.get("quant_type") or UNKNOWN)
    for source in (config, _text_config(config)):
        for key in CONTEXT_KEYS:
            value = source.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                fields.setdefault("context_length", value)
    return fields


def safetensors_parameters(path: Path) -> int:
    """Parameters in one .safetensors file, from its header only."""
    with path.open("rb") as handle:
        prefix = handle.read(8)
        if len(prefix) != 8:
            raise MetadataError("malformed", f"{path.name}: not a safetensors file")
        (length,) = struct.unpack("<Q", prefix)
        if length > MAX_HEADER_BYTES:
            raise MetadataError("malformed", f"{path.name}: header too large")
        try:
            header = json.loads(handle.read(length))
        except ValueError:
            raise MetadataError("malformed", f"{path.name}: header is not JSON") from None
    if not isinstance(header, dict):
        raise MetadataError("malformed", f"{path.name}: header is not an object")
    return sum(
        math.prod(int(d) for d in tensor["shape"])
        for name, tensor in header.items()
        if name != "__metadata__" and isinstance(tensor, dict) and isinstance(tensor.get("shape"), list)
    )


def readme_license(path: Path) -> str | None:
    """The ``license`` of a model card's YAML front matter, if the card has one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith("---"):
        return None
    front, sep, _ = text[3:].partition("\n---")
    try:
        data = yaml.safe_load(front) if sep else None
    except yaml.YAMLError:
        return None
    value = data.get("license") if isinstance(data, dict) else None
    return str(value) if value else None


def read_directory(directory: Path) -> dict[str, Any]:
    """Fields from a model directory or cached snapshot: config.json, README.md, safetensors headers."""
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MetadataError("not_cached", "config.json is not there") from None
    except (OSError, ValueError):
        raise MetadataError("malformed", "config.json cannot be read as JSON") from None
    if not isinstance(config, dict):
        raise MetadataError("malformed", "config.json is not an object")
    fields = from_config(config)
    licence = readme_license(directory / "README.md")
    if licence:
        fields["license"] = licence
    shards = sorted(directory.glob("*.safetensors"))
    if shards and _complete(directory, shards):
        fields["parameters"] = sum(safetensors_parameters(shard) for shard in shards)
    elif (estimate := _index_parameters(directory, fields.get("dtype"))) is not None:
        fields["parameters"] = estimate
    return fields


def _index_parameters(directory: Path, dtype: str | None) -> int | None:
    """Parameters from the shard index's total size when the shards themselves are not there (only
    config and index were fetched): bytes over the bytes of the model's dtype, exact for one-dtype
    checkpoints, which is what the index of an unquantised model describes."""
    width = _DTYPE_BYTES.get(dtype or "")
    try:
        index = json.loads((directory / "model.safetensors.index.json").read_text(encoding="utf-8"))
        total = index["metadata"]["total_size"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if width is None or not isinstance(total, int) or isinstance(total, bool) or total <= 0:
        return None
    return total // width


def _complete(directory: Path, shards: list[Path]) -> bool:
    """All shards named by the index are present (a partial download would undercount)."""
    index = directory / "model.safetensors.index.json"
    if not index.exists():
        return True
    try:
        names = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return names <= {shard.name for shard in shards}


def offline_requested(environ: dict[str, str] | None = None) -> bool:
    """HF_HUB_OFFLINE as huggingface_hub reads it (1, ON, YES, TRUE)."""
    value = (environ if environ is not None else os.environ).get("HF_HUB_OFFLINE", "")
    return value.strip().upper() in ("1", "ON", "YES", "TRUE")


def safetensors_dtype(parameters: dict[str, int]) -> str | None:
    """The dtype holding most parameters, in torch's spelling."""
    if not parameters:
        return None
    dominant = max(parameters.items(), key=lambda item: item[1])[0]
    return _SAFETENSORS_DTYPES.get(dominant, dominant.lower())
