"""Random secrets handed out once, and the hashes the store keeps of them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

TOKEN_BYTES: Final = 32
"""256 random bits per session id, kiosk token and sign-in link."""


def new_token() -> str:
    """A fresh URL-safe secret (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    """What the store keeps of a secret: its SHA-256 (enough for 256 random bits: no salt or
    slow hash is needed, nothing can be guessed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )
