"""Fixtures of the importer tests: the real samples and time-series folders, a one-call import
of bytes or a file, and a factory of small synthetic web items (tests run with
``--import-mode=importlib``, so shared helpers live here as fixtures)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from trendmon.events import VideoSnapshot
from trendmon.log.dead_letters import Rejected
from trendmon.producers.importers import ImportStream, import_file

SAMPLES = (Path(__file__).resolve().parents[3] / "../shared/samples").resolve()
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
"""The ``collected_at`` that ``run`` passes unless told otherwise."""


@dataclass
class Result:
    records: list[VideoSnapshot | Rejected]
    format: str
    stream: ImportStream

    @property
    def snapshots(self) -> list[VideoSnapshot]:
        return [r for r in self.records if isinstance(r, VideoSnapshot)]

    @property
    def rejects(self) -> list[Rejected]:
        return [r for r in self.records if isinstance(r, Rejected)]


@pytest.fixture
def samples() -> Path:
    """The real TikTok payloads in shared/samples (skips when that folder is absent)."""
    if not SAMPLES.is_dir():
        pytest.skip(f"real TikTok samples not found at {SAMPLES} (shared/ beside the repo)")
    return SAMPLES


@pytest.fixture
def run() -> Callable[..., Result]:
    """Import bytes (named ``test.json``) or a file; ``collected_at`` defaults to NOW."""

    def _run(data: bytes | Path, **options: Any) -> Result:
        options.setdefault("collected_at", NOW)
        if isinstance(data, Path):
            with data.open("rb") as fp:
                stream, fmt = import_file(fp, name=data.name, **options)
                return Result(list(stream), fmt, stream)
        stream, fmt = import_file(io.BytesIO(data), name="test.json", **options)
        return Result(list(stream), fmt, stream)

    return _run


@pytest.fixture
def web_item() -> Callable[..., dict[str, Any]]:
    """``web_item(n, **overrides)``: a small web itemStruct whose id ends in ``n``."""

    def _item(n: int = 1, **overrides: Any) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": f"74000000000000{n:05d}",
            "desc": f"video {n} #tag{n}",
            "createTime": 1735689600 + n,
            "author": {"id": "6800000000000000001", "uniqueId": "someone"},
            "stats": {"playCount": 1000 + n, "diggCount": 100, "commentCount": 10,
                      "shareCount": 1},
            "video": {"duration": 15},
        }
        item.update(overrides)
        return item

    return _item
