"""Secrets at rest: what the stores keep of a webhook secret or a Slack URL is sealed.

A sealed value is ``sealed:v1:`` and a Fernet token (AES-128-CBC with HMAC-SHA256,
``cryptography``'s MultiFernet): the first key seals, every key opens, so a new key goes
first and the old ones stay until :meth:`Sealer.reseal` has moved every record to the new one
(``trendmon secrets rotate``). A value without the prefix is a record written before sealing
existed: it opens as it is, and the next rotation seals it.

Where the keys come from (the environment, or a key file in TRENDMON_HOME) is the caller's
business (:func:`trendmon.sinks.factory.open_sealer`); this module only checks them.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from trendmon.errors import ConfigError

PREFIX = "sealed:v1:"


class SecretsKeyError(ConfigError):
    """No key, a malformed key, or no key that opens a stored secret."""


def generate_key() -> str:
    """A new random key (32 bytes, url-safe base64), fit for TRENDMON_SECRETS_KEYS."""
    return Fernet.generate_key().decode()


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


class Sealer:
    """Seals and opens secrets with ``keys`` (newest first).

    ``origin`` says where the keys came from, for the messages (``TRENDMON_SECRETS_KEYS``,
    ``/home/.../secrets.key``); ``missing`` is the message when there is no key at all.
    """

    def __init__(self, keys: Sequence[str], *, origin: str, missing: str = "") -> None:
        self.origin = origin
        self._missing = missing or f"no key in {origin}; make one with `trendmon secrets generate`"
        fernets = []
        for n, key in enumerate(keys, 1):
            try:
                fernets.append(Fernet(key.strip().encode()))
            except (ValueError, TypeError):
                raise SecretsKeyError(
                    f"{origin}: key {n} is not a key (32 bytes in url-safe base64); make one "
                    "with `trendmon secrets generate`"
                ) from None
        self._fernet = MultiFernet(fernets) if fernets else None
        self.keys = len(fernets)

    def _need(self) -> MultiFernet:
        if self._fernet is None:
            raise SecretsKeyError(self._missing)
        return self._fernet

    def seal(self, text: str) -> str:
        """``text`` sealed with the first key; the empty string stays empty."""
        if not text:
            return ""
        return PREFIX + self._need().encrypt(text.encode()).decode()

    def open(self, value: str) -> str:
        """The secret of a sealed ``value`` (a value from before sealing comes back as is)."""
        if not is_sealed(value):
            return value
        try:
            return self._need().decrypt(value[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SecretsKeyError(
                f"a stored secret opens with none of the {self.keys} key(s) in {self.origin}: "
                "it was sealed with another key (put that key back after the new one) or "
                "the record was altered"
            ) from None

    def reseal(self, value: str) -> str:
        """``value`` sealed with the first key (a plain value gets sealed)."""
        if not value:
            return ""
        if not is_sealed(value):
            return self.seal(value)
        try:
            return PREFIX + self._need().rotate(value[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            self.open(value)  # raises with the message
            raise
