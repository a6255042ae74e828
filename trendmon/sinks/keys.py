"""Where the keys that seal stored secrets come from, and how the embedded key file rotates.

TRENDMON_SECRETS_KEYS (comma-separated, newest first) wins everywhere. Without it, the embedded
mode keeps its own key in ``TRENDMON_HOME/secrets.key`` (made on first use, mode 0600, one key
a line, newest first): enough that a copy of ``alerts.sqlite3`` (a backup, an export, a file
sent for support) holds no usable secret, not a defence against someone who can read the whole
home folder. MongoDB is shared by processes on several machines, which could not share such a
file: it needs TRENDMON_SECRETS_KEYS, and says so when a secret is stored or read without it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from trendmon.accounts.sealing import Sealer, generate_key
from trendmon.errors import ConfigError
from trendmon.settings import CoreSettings, SecretsSettings, load

KEY_FILE = "secrets.key"
ENV = "TRENDMON_SECRETS_KEYS"


def key_file(home: Path) -> Path:
    return home / KEY_FILE


def env_keys(settings: SecretsSettings | None = None) -> list[str]:
    raw = (settings or load(SecretsSettings)).keys.get_secret_value()
    return [k.strip() for k in raw.split(",") if k.strip()]


def _write_keys(path: Path, keys: list[str]) -> None:
    """Replace the key file at once (a crash leaves the old file or the new one)."""
    tmp = path.with_name(path.name + ".new")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write("".join(k + "\n" for k in keys))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the key file {path}: {exc.strerror}; set {ENV} or make "
            "TRENDMON_HOME writable"
        ) from None


def _file_keys(path: Path) -> list[str]:
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        except OSError as exc:
            raise ConfigError(
                f"cannot create the key file {path}: {exc.strerror}; set {ENV} or make "
                "TRENDMON_HOME writable"
            ) from None
        else:
            with os.fdopen(fd, "w") as out:
                out.write(generate_key() + "\n")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def open_sealer(
    backend: Literal["sqlite", "mongo"],
    *,
    home: Path | None = None,
    settings: SecretsSettings | None = None,
) -> Sealer:
    """The sealer of a runtime's stored secrets (see the module docstring)."""
    keys = env_keys(settings)
    if keys:
        return Sealer(keys, origin=ENV)
    if backend == "sqlite":
        path = key_file(home or load(CoreSettings).home)
        return Sealer(_file_keys(path), origin=str(path))
    return Sealer(
        [],
        origin=ENV,
        missing=f"{ENV} is not set: the distributed stores keep secrets sealed with keys "
        "that every process shares; make one with `trendmon secrets generate` and set it for "
        "every worker, the dashboard and the command line",
    )


def rotate(
    backend: Literal["sqlite", "mongo"],
    reseal: Callable[[Sealer], int],
    *,
    home: Path | None = None,
    settings: SecretsSettings | None = None,
) -> tuple[int, str]:
    """Seal every stored secret with the newest key; (records resealed, where the key is).

    With TRENDMON_SECRETS_KEYS, its first key is the new one (the old ones stay after it until
    this has run). With the embedded key file, a new key is made and put first, every record
    resealed, then the old keys are dropped from the file."""
    if env_keys(settings) or backend == "mongo":
        sealer = open_sealer(backend, home=home, settings=settings)
        return reseal(sealer), ENV
    path = key_file(home or load(CoreSettings).home)
    old = _file_keys(path)
    new = generate_key()
    _write_keys(path, [new, *old])
    count = reseal(Sealer([new, *old], origin=str(path)))
    _write_keys(path, [new])
    return count, str(path)
