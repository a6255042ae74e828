"""``bench/push.py --quick`` runs end to end and ends with the figure in its expected form."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from trendmon.dashboard.throttle import PER_ADDRESS

from .conftest import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "push.py"


def test_the_quick_run_prints_the_p95_with_300_streams(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install it with `make browsers` (apt-get chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--home", str(tmp_path / "home")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert re.fullmatch(r"push p95 seconds: \d+\.\d{3} \(target < 1\.0\)", lines[-5])
    # The guesser's 200 wrong passwords from one address: only the first PER_ADDRESS are checked.
    assert lines[-3].startswith(
        f"200 bad sign-ins in 4 s: {PER_ADDRESS} checked (401), {200 - PER_ADDRESS} throttled "
        "unchecked (429), other 0"
    ), lines[-3]
    assert re.fullmatch(
        r"push p95 seconds during them: \d+\.\d{3}; ratio to alone: \d+\.\d{2} \(target: about 1\)",
        lines[-2],
    )
    assert re.fullmatch(r"push p95 seconds with 300 streams: \d+\.\d{3} \(target < 1\.0\)",
                        lines[-1])  # fmt: skip
    assert "300 of 300 idle streams open" in done.stderr
