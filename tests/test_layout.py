"""The import contract (pyproject.toml, `[tool.importlinter]`) holds, and it would catch a break.

Every import points down the data flow: cli > dashboard | runtimes > sinks | producers >
engine | log > events | settings | partitioner > errors; the engine imports no I/O, clock or
thread; inside log/ and sinks/ the factory sits above the backends, the interface below them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-logo", "--no-cache", "pyproject.toml"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_import_points_down() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    # The same package with one import going up, from the engine into a runtime.
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(
        ROOT / "trendmon", tmp_path / "trendmon", ignore=shutil.ignore_patterns("_compiled", "*.so")
    )
    with (tmp_path / "trendmon" / "engine" / "windows.py").open("a") as fp:
        fp.write("\nimport trendmon.runtimes.embedded  # noqa: E402\n")
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "trendmon.engine is not allowed to import trendmon.runtimes" in done.stdout
