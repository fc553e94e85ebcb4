"""Deterministic per-event randomness: uniforms from a hash of (seed, event index, field).

A hash instead of a stateful generator is what lets any slice of the history be generated alone, in
any order, with the same result: the trace with index k looks the same whether a request asks for it
among the newest 50 or in a one-day metrics query.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser over a uint64 array (wrapping arithmetic is the point)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def bits(seed: int, k: np.ndarray, field: int) -> np.ndarray:
    """64 hash bits per index."""
    with np.errstate(over="ignore"):
        base = k.astype(np.uint64) * _GOLDEN + np.uint64((seed * 1_000_003 + field * 7919) % 2**64)
    return mix(base)


def uniform(seed: int, k: np.ndarray, field: int) -> np.ndarray:
    """Uniform floats in [0, 1) per index."""
    return (bits(seed, k, field) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def normal(seed: int, k: np.ndarray, field: int) -> np.ndarray:
    """Standard normal per index (Box-Muller over two hashed uniforms)."""
    u1 = 1.0 - uniform(seed, k, field)
    u2 = uniform(seed, k, field + 50_000)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def hex_ids(seed: int, k: np.ndarray, field: int, digits: int) -> list[str]:
    """Stable hexadecimal ids (16 or 32 digits) per index."""
    first = bits(seed, k, field)
    if digits <= 16:
        return [f"{int(v):016x}"[:digits] for v in first]
    second = bits(seed, k, field + 1)
    return [f"{int(a):016x}{int(b):016x}"[:digits] for a, b in zip(first, second, strict=True)]
