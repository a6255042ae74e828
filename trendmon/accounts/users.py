"""Accounts: what ``trendmon users`` and the login page do, over any
:class:`~trendmon.accounts.store.AccountStore`.

Changing an account's password or role, disabling or removing it ends its sessions at once.
"""

from __future__ import annotations

import re
from typing import Final

from trendmon.accounts import passwords
from trendmon.accounts.roles import parse_role
from trendmon.accounts.store import AccountStore, User
from trendmon.errors import (
    AccountError,
    AccountExistsError,
    AuthenticationError,
    UnknownAccountError,
)

NAME: Final = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
"""Account names: lowercase letters, digits and ``._@-``, up to 64 characters."""


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise AccountError(
            f"{name[:80]!r} is not an account name: use 1-64 lowercase letters, digits, . _ @ -"
        )
    return name


def add(store: AccountStore, name: str, role: str, password: str | None, now_ms: int) -> User:
    """A new account. ``password`` None: one that can only be opened by a sign-in link."""
    role_ = parse_role(role)
    hashed = None if password is None else passwords.hash_password(password)
    user = User(check_name(name), role_.name, hashed, now_ms)
    if not store.add_user(user):
        raise AccountExistsError(f"an account named {name!r} exists already")
    return user


def get(store: AccountStore, name: str) -> User:
    user = store.get_user(name)
    if user is None:
        raise UnknownAccountError(f"no account named {name[:80]!r} (trendmon users list)")
    return user


def _change(store: AccountStore, name: str, **fields: object) -> int:
    get(store, name)
    store.update_user(name, **fields)
    return store.remove_sessions(name)


def set_password(store: AccountStore, name: str, password: str) -> int:
    """Change the password and end the account's sessions; how many were ended."""
    return _change(store, name, password_hash=passwords.hash_password(password))


def set_role(store: AccountStore, name: str, role: str) -> int:
    return _change(store, name, role=parse_role(role).name)


def set_disabled(store: AccountStore, name: str, disabled: bool = True) -> int:
    return _change(store, name, disabled=disabled)


def remove(store: AccountStore, name: str) -> int:
    ended = store.remove_sessions(get(store, name).name)
    store.remove_user(name)
    return ended


def authenticate(store: AccountStore, name: str, password: str) -> User:
    """The account if ``password`` is its password and it is enabled; else
    :class:`AuthenticationError` with one message whatever was wrong (the same work is done
    for an unknown name)."""
    user = store.get_user(name) if NAME.fullmatch(name) else None
    ok = passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled:
        raise AuthenticationError("wrong account name or password")
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        store.update_user(
            user.name, password_hash=passwords.HASHER.hash(passwords.normalize(password))
        )
    return user


LOCAL_ADMIN: Final = "local"
"""The account of ``trendmon run``'s one-time sign-in link: admin, without a password."""


def local_admin(store: AccountStore, now_ms: int) -> User:
    """The passwordless local admin, created the first time a sign-in link is asked for (it
    can be opened only by such a link, printed to whoever started the server)."""
    user = store.get_user(LOCAL_ADMIN)
    if user is None:
        store.add_user(User(LOCAL_ADMIN, "admin", None, now_ms))
        user = get(store, LOCAL_ADMIN)
    return user
