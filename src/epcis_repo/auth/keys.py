"""API keys: ``epcis_<id>_<secret>``, random, shown once, kept only as a SHA-256 digest.

The id is public (listed, recorded as the principal of what the key captures); the secret has 256
bits, so the digest needs no salt or slow hash: it cannot be guessed, only leaked, and a leaked
key is revoked.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from epcis_repo.auth.model import ApiKey, Role
from epcis_repo.epcis.timestamps import now_micros

_KEY = re.compile(r"epcis_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(organisation: str, roles: frozenset[Role]) -> tuple[str, ApiKey]:
    """A new key, and the record the repository keeps of it."""
    key_id = secrets.token_hex(6)
    key = f"epcis_{key_id}_{secrets.token_urlsafe(32)}"
    return key, ApiKey(key_id, organisation, roles, digest(key), now_micros())


def looks_like_a_key(text: str) -> bool:
    return _KEY.fullmatch(text) is not None
