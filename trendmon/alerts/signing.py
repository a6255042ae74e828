"""Standard Webhooks signatures (https://www.standardwebhooks.com).

A delivery carries ``webhook-id`` (the same on every retry of one delivery, so receivers can
deduplicate), ``webhook-timestamp`` (epoch seconds of the attempt) and ``webhook-signature``:
``v1,`` then base64 of HMAC-SHA256 over ``{id}.{timestamp}.{body}`` with the secret's bytes,
one per valid secret, separated by spaces (two during a rotation). Secrets read ``whsec_`` then
base64 of 24 random bytes. Receivers verify with any Standard Webhooks library; the tests use
the ``standardwebhooks`` package, not this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from trendmon.errors import SubscriptionError

PREFIX = "whsec_"
SECRET_BYTES = 24


def generate_secret() -> str:
    """A new random secret, ``whsec_`` and base64."""
    return PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The key bytes of a ``whsec_`` secret."""
    body = secret.removeprefix(PREFIX)
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise SubscriptionError(
            "secret: not base64 after whsec_; generate one with `trendmon alerts update "
            "--rotate-secret`",
            "secret",
        ) from None
    if len(key) < 16:
        raise SubscriptionError("secret: shorter than 16 bytes; rotate it", "secret")
    return key


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,`` signature."""
    mac = hmac.new(secret_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def headers(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, body) for s in secrets),
    }
