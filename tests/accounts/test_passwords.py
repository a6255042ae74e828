"""The password policy and Argon2id hashing."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters

from trendmon.accounts import passwords
from trendmon.errors import PasswordPolicyError


@pytest.mark.parametrize(
    ("password", "why"),
    [("short7!", "too short"), ("x" * 129, "too long"), ("password", "common"),
     ("Qwertyuiop", "common"), ("  iloveyou1  ", "common")],
)  # fmt: skip
def test_bad_passwords_are_refused_saying_why(password: str, why: str) -> None:
    with pytest.raises(PasswordPolicyError, match=why):
        passwords.check_policy(password)


@pytest.mark.parametrize(
    "password", ["correct horse battery", "aaaaaaab", "x" * 128, "ünïcødé passphrase 🎉"]
)
def test_no_composition_rules_and_long_passphrases_fit(password: str) -> None:
    passwords.check_policy(password)  # no digits, symbols or capitals asked for


def test_the_list_is_the_shipped_one() -> None:
    common = passwords.common_passwords()
    assert 10_000 < len(common) < 20_000
    assert all(len(p) >= passwords.MIN_LENGTH for p in common)


def test_hashes_are_argon2id_with_at_least_owasps_minimum() -> None:
    hashed = passwords.hash_password("correct horse battery")
    params = extract_parameters(hashed)
    assert hashed.startswith("$argon2id$")
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2
    assert passwords.verify(hashed, "correct horse battery")
    assert not passwords.verify(hashed, "correct horse batterY")
    assert passwords.hash_password("correct horse battery") != hashed  # salted


def test_an_unknown_account_verifies_as_false_after_the_same_work() -> None:
    assert not passwords.verify(None, "anything at all")
    assert not passwords.verify("not a hash", "anything at all")
