"""The forecast model file: versioned JSON written atomically, read with a clear error."""

from __future__ import annotations

import json
import os
from pathlib import Path

from trendmon.errors import ModelFileError
from trendmon.forecast.forecaster import Forecaster


def write_model(path: Path, forecaster: Forecaster) -> None:
    """Write ``forecaster`` to ``path`` (a temporary file renamed over it: never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(forecaster.to_dict(), indent=1, allow_nan=False) + "\n")
    os.replace(tmp, path)


def read_model(path: Path) -> Forecaster:
    """The forecaster in ``path``; :class:`ModelFileError` when missing or broken."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ModelFileError(
            f"no forecast model at {path} ({exc.strerror}): write one with `trendmon forecast "
            "train`, or set TRENDMON_FORECAST_MODEL"
        ) from None
    try:
        content = json.loads(text)
    except ValueError as exc:
        raise ModelFileError(f"{path} is not JSON ({exc}): train it again") from None
    return Forecaster.from_dict(content)
