"""Virtual keys as labels without their secret.

A key is labelled by its alias, else ``hash:`` and the first 8 hex digits of LiteLLM's token (itself
the SHA-256 of the key), so the secret never becomes a label. How many keys, teams and models get a
label of their own is capped by exporters.base.labelcap.
"""

from __future__ import annotations

from typing import Any

from exporters.base.labelcap import short

_HASH_PREFIX = 8


def key_label(token: str, alias: Any) -> str:
    if isinstance(alias, str) and alias.strip():
        return short(alias.strip())
    return f"hash:{str(token)[:_HASH_PREFIX]}"
