"""Compile the engine's hot modules with mypyc, into ``trendmon/streams/_compiled/``.

The engine is plain, strictly typed Python; mypyc turns its per-snapshot paths (stage 1, the
engine loop, stage 2's bookkeeping) into C extensions, about a fifth faster end to end. The
package uses them only while they match their sources (``trendmon/streams/__init__.py`` checks
the hashes in the manifest written here), so an edited module runs as Python until this runs
again (``make install`` does, when a source changed).

A failed compilation (no C compiler, say) is not an error: the engine runs as pure Python, and
the manifest records the failure so that ``make`` does not retry until a source changes.

    .venv/bin/python scripts/compile.py
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "trendmon" / "streams"
TARGET = PACKAGE / "_compiled"
MODULES = ("velocity", "sightings", "trends", "breadth", "partitioned", "engine")
"""Compiled one by one: each gets its own runtime library inside the package."""


def digest(module: str) -> str:
    return hashlib.sha256((PACKAGE / f"{module}.py").read_bytes()).hexdigest()


def main() -> int:
    shutil.rmtree(TARGET, ignore_errors=True)
    TARGET.mkdir(parents=True)
    mypyc = Path(sys.executable).with_name("mypyc")
    failed = None
    for module in MODULES:
        print(f"[compile] {module}.py", file=sys.stderr, flush=True)
        done = subprocess.run(
            [str(mypyc), f"trendmon/streams/{module}.py"],
            cwd=ROOT,
            env={**os.environ, "MYPYC_OPT_LEVEL": "3"},
            capture_output=True,
            text=True,
        )
        built = sorted(PACKAGE.glob(f"{module}*.so"))
        for path in built:
            path.replace(TARGET / path.name)
        if done.returncode != 0 or not built:
            failed = f"{module}.py: " + (done.stderr or done.stdout).strip().splitlines()[-1:][0]
            break
    manifest = {
        "python": sys.implementation.cache_tag,
        "modules": {} if failed else {m: digest(m) for m in MODULES},
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
