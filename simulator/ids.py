"""Identifiers and secrets: deterministic from the account's seed and a counter per prefix.

The same seed and the same calls give the same ids, keys and secrets, so a saved world, a
test and a scenario's setup always agree on them.
"""

from __future__ import annotations

import hashlib

from simulator.model import State

__all__ = ["ALNUM", "BASE32", "new_id", "new_secret"]

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def new_id(state: State, prefix: str, length: int = 16, alphabet: str = BASE32) -> str:
    """`prefix` + `length` characters, deterministic from the seed and a counter."""
    counters = state.counters
    number = counters.get(prefix, 0) + 1
    counters[prefix] = number
    digest = hashlib.sha256(f"{state.seed}:{prefix}:{number}".encode()).digest()
    while len(digest) < length:
        digest += hashlib.sha256(digest).digest()
    return prefix + "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])


def new_secret(state: State, length: int = 40) -> str:
    """A secret access key's worth of characters (or `length` of them)."""
    return new_id(state, "secret:", length, ALNUM + "/+")[len("secret:") :]
