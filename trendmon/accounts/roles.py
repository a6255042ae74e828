"""Roles, from least to most trusted, and the kiosk principal.

- ``viewer``: the wall and the explorer pages, no exports;
- ``analyst``: also the exports (and, later, alerts read-only);
- ``admin``: everything, including pages that declare no role (closed by default).

A kiosk (a wall display opened through a kiosk link) is not an account: it may read ``/wall``
and its stream, nothing else.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from trendmon.errors import AccountError


class Role(IntEnum):
    """An account's role; a larger value may do everything a smaller one may."""

    viewer = 1
    analyst = 2
    admin = 3


ROLES: Final = tuple(r.name for r in Role)


def parse_role(name: str) -> Role:
    """The role called ``name``; :class:`AccountError` names the choices otherwise."""
    try:
        return Role[name]
    except KeyError:
        raise AccountError(f"unknown role {name!r}; choose one of {', '.join(ROLES)}") from None


def allows(role: Role | None, needed: Role) -> bool:
    """Whether an account of ``role`` (None: no account) may do what needs ``needed``."""
    return role is not None and role >= needed
