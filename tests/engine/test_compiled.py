"""The compiled engine is used only while it matches its sources (see scripts/compile.py)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import trendmon.engine
from trendmon.engine import compiled_dir


def package(tmp_path: Path, python: str) -> Path:
    """A package with one source and a build stamped with that source as it is now."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "velocity.py"
    source.write_bytes(b"x = 1\n")
    os.utime(source, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    (tmp_path / "_compiled").mkdir()
    st = source.stat()
    manifest = {"python": python, "sources": {"velocity": [st.st_mtime_ns, st.st_size]}}
    (tmp_path / "_compiled" / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_a_build_that_matches_its_sources_is_used(tmp_path: Path) -> None:
    here = sys.implementation.cache_tag
    assert compiled_dir(package(tmp_path, here)) == tmp_path / "_compiled"


def test_an_edited_source_or_another_python_turns_it_off(tmp_path: Path) -> None:
    here = sys.implementation.cache_tag
    edited = package(tmp_path / "a", here)
    (edited / "velocity.py").write_bytes(b"x = 2\n")  # same size, a new modification time
    assert compiled_dir(edited) is None
    touched = package(tmp_path / "t", here)
    os.utime(touched / "velocity.py", ns=(1_800_000_000_000_000_000,) * 2)
    assert compiled_dir(touched) is None
    assert compiled_dir(package(tmp_path / "b", "cpython-99")) is None
    assert compiled_dir(tmp_path / "nothing-built") is None


def test_the_modules_come_from_where_the_package_says() -> None:
    # `make install` compiles them; whichever way this run goes, the flag tells the truth.
    import trendmon.engine.velocity as velocity

    assert velocity.__file__ is not None
    assert velocity.__file__.endswith(".so") == trendmon.engine.COMPILED
