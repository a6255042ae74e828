"""The trend engine: events in, events out; no I/O, no clock, no threads (``trendmon.runtimes``
drives it).

The engine's hot modules may also be compiled (mypyc, by ``make install``: see
``scripts/compile.py``) into ``_compiled/``. They are used only while every source they were
built from has the size and modification time the build recorded (the rule Python applies to
its own ``.pyc`` files: a stat per source, nothing read), and not when
``TRENDMON_PURE_PYTHON=1``; otherwise the same modules run as Python. :data:`COMPILED` says
which. Both builds pickle the same state (:mod:`trendmon.engine.state`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def compiled_dir(package: Path) -> Path | None:
    """``package/_compiled`` if its manifest matches the sources and this Python, else None."""
    target = package / "_compiled"
    try:
        manifest = json.loads((target / "manifest.json").read_text())
        sources: dict[str, list[int]] = manifest["sources"]
        if manifest["python"] != sys.implementation.cache_tag or not sources:
            return None
        for module, (mtime_ns, size) in sources.items():
            st = (package / f"{module}.py").stat()
            if st.st_mtime_ns != mtime_ns or st.st_size != size:
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return target


_pure = os.environ.get("TRENDMON_PURE_PYTHON") == "1"
_found = None if _pure else compiled_dir(Path(__file__).parent)
if _found is not None:
    __path__.insert(0, str(_found))
COMPILED = _found is not None
"""The engine's hot modules run compiled."""
