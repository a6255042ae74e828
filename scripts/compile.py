"""Compile the engine's hot modules with mypyc, into ``trendmon/engine/_compiled/``.

The engine is plain, strictly typed Python; mypyc turns its per-snapshot paths (stage 1, the
engine loop, stage 2's bookkeeping) into C extensions, about a fifth faster end to end. The
package uses them only while their sources keep the size and modification time recorded in the
manifest written here (``trendmon/engine/__init__.py`` checks them, as Python checks a ``.pyc``),
so an edited module runs as Python until this runs again (``make install`` does, when a source
changed).

A failed compilation (no C compiler, say) is not an error: the engine runs as pure Python, and
the manifest records the failure so that ``make`` does not retry until a source changes.

    .venv/bin/python scripts/compile.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "trendmon" / "engine"
TARGET = PACKAGE / "_compiled"
MODULES = ("velocity", "sightings", "aggregates", "trends", "breadth", "partitioned", "engine")
"""Compiled one by one: each gets its own runtime library inside the package."""
USED = (
    "windows", "spikes", "fanout", "detect", "ranking", "entities", "boards", "scoring", "state"
)
"""Modules of the package that the compiled ones call (kept as Python): mypyc built against
them, so a change to one also makes the build stale."""


def stamp(module: str) -> list[int]:
    st = (PACKAGE / f"{module}.py").stat()
    return [st.st_mtime_ns, st.st_size]


def compile_all() -> str | None:
    """Compile every module into TARGET; the reason of a failure, or None."""
    mypyc = Path(sys.executable).with_name("mypyc")
    for module in MODULES:
        print(f"[compile] {module}.py", file=sys.stderr, flush=True)
        try:
            done = subprocess.run(
                [str(mypyc), f"trendmon/engine/{module}.py"],
                cwd=ROOT,
                env={**os.environ, "MYPYC_OPT_LEVEL": "3"},
                capture_output=True,
                text=True,
            )
        finally:
            # Never left in the package, where Python would import them before the sources.
            built = sorted(PACKAGE.glob(f"{module}*.so"))
            for path in built:
                path.replace(TARGET / path.name)
        if done.returncode != 0 or not built:
            lines = (done.stderr or done.stdout).strip().splitlines()
            return f"{module}.py: {lines[-1] if lines else f'mypyc exited {done.returncode}'}"
    return None


def main() -> int:
    shutil.rmtree(TARGET, ignore_errors=True)
    TARGET.mkdir(parents=True)
    # Stamped before compiling: a source edited meanwhile makes the build stale, not current.
    stamps = {m: stamp(m) for m in (*MODULES, *USED)}
    try:
        failed = compile_all()
    except Exception as exc:  # no mypyc, killed...: the engine runs as Python all the same
        failed = f"{type(exc).__name__}: {exc}"
    manifest = {
        "python": sys.implementation.cache_tag,
        "sources": {} if failed else stamps,
        "failed": failed,
    }
    if failed:
        for path in TARGET.glob("*.so"):
            path.unlink()
        print(
            f"[compile] warning: compiling the engine failed ({failed}); it runs as pure "
            "Python, slower (a C compiler and Python's headers are needed)",
            file=sys.stderr,
        )
    (TARGET / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
