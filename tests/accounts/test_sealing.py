"""Sealing secrets at rest: round trips, key rotation, wrong keys and altered records."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from trendmon.accounts.sealing import PREFIX, Sealer, SecretsKeyError, generate_key, is_sealed


def test_a_sealed_secret_opens_and_hides_its_text() -> None:
    sealer = Sealer([generate_key()], origin="test")
    sealed = sealer.seal("whsec_abc123")
    assert is_sealed(sealed) and "whsec_abc123" not in sealed
    assert sealer.open(sealed) == "whsec_abc123"
    assert sealer.seal("whsec_abc123") != sealed  # a fresh IV every time
    assert sealer.seal("") == "" and sealer.open("") == ""


def test_the_first_key_seals_and_every_key_opens() -> None:
    old, new = generate_key(), generate_key()
    by_old = Sealer([old], origin="test").seal("https://hooks.slack.com/services/T/B/x")
    both = Sealer([new, old], origin="test")
    assert both.open(by_old) == "https://hooks.slack.com/services/T/B/x"
    moved = both.reseal(by_old)
    assert Sealer([new], origin="test").open(moved) == "https://hooks.slack.com/services/T/B/x"
    # The resealed value is under the new key: the old key alone no longer opens it.
    token = moved[len(PREFIX) :].encode()
    assert Fernet(new.encode()).decrypt(token) == b"https://hooks.slack.com/services/T/B/x"
    with pytest.raises(SecretsKeyError, match="sealed with another key"):
        Sealer([old], origin="TRENDMON_SECRETS_KEYS").open(moved)


def test_a_value_from_before_sealing_opens_as_is_and_a_rotation_seals_it() -> None:
    sealer = Sealer([generate_key()], origin="test")
    assert sealer.open("whsec_plain") == "whsec_plain"
    resealed = sealer.reseal("whsec_plain")
    assert is_sealed(resealed) and sealer.open(resealed) == "whsec_plain"


def test_an_altered_record_is_refused() -> None:
    sealer = Sealer([generate_key()], origin="test")
    sealed = sealer.seal("whsec_abc123")
    flipped = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    with pytest.raises(SecretsKeyError, match="altered"):
        sealer.open(flipped)


def test_a_malformed_key_names_its_place_and_the_fix() -> None:
    with pytest.raises(SecretsKeyError, match=r"TRENDMON_SECRETS_KEYS: key 2 .*secrets generate"):
        Sealer([generate_key(), "not-a-key"], origin="TRENDMON_SECRETS_KEYS")


def test_without_a_key_sealing_says_what_to_set() -> None:
    sealer = Sealer([], origin="TRENDMON_SECRETS_KEYS", missing="set TRENDMON_SECRETS_KEYS")
    assert sealer.seal("") == ""  # nothing to seal needs no key
    with pytest.raises(SecretsKeyError, match="set TRENDMON_SECRETS_KEYS"):
        sealer.seal("whsec_abc")
    with pytest.raises(SecretsKeyError, match="set TRENDMON_SECRETS_KEYS"):
        sealer.open(PREFIX + "gAAAA")
