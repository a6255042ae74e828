"""The compiled engine is used only while it matches its sources (see scripts/compile.py)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import trendmon.engine
from trendmon.engine import compiled_dir


def package(tmp_path: Path, source: bytes, digest: bytes, python: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "velocity.py").write_bytes(source)
    (tmp_path / "_compiled").mkdir()
    manifest = {"python": python, "modules": {"velocity": hashlib.sha256(digest).hexdigest()}}
    (tmp_path / "_compiled" / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_a_build_that_matches_its_sources_is_used(tmp_path: Path) -> None:
    here = sys.implementation.cache_tag
    assert compiled_dir(package(tmp_path, b"x = 1\n", b"x = 1\n", here)) == tmp_path / "_compiled"


def test_an_edited_source_or_another_python_turns_it_off(tmp_path: Path) -> None:
    here = sys.implementation.cache_tag
    assert compiled_dir(package(tmp_path / "a", b"x = 2\n", b"x = 1\n", here)) is None
    assert compiled_dir(package(tmp_path / "b", b"x = 1\n", b"x = 1\n", "cpython-99")) is None
    assert compiled_dir(tmp_path / "nothing-built") is None


def test_the_modules_come_from_where_the_package_says() -> None:
    # `make install` compiles them; whichever way this run goes, the flag tells the truth.
    import trendmon.engine.velocity as velocity

    assert velocity.__file__ is not None
    assert velocity.__file__.endswith(".so") == trendmon.engine.COMPILED
