"""`trendmon settings`: resolved values, secrets masked, bad values named."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest
from typer.testing import CliRunner

from trendmon.cli import app
from trendmon.settings import COMPONENTS


def test_every_setting_has_a_default_and_help() -> None:
    for cls in COMPONENTS.values():
        for name, field in cls.model_fields.items():
            assert field.description, f"{cls.__name__}.{name} has no help"
            assert not field.is_required(), f"{cls.__name__}.{name} has no default"


def test_settings_prints_resolved_values_and_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRENDMON_SIM_SEED", "42")
    monkeypatch.setenv("TRENDMON_SCRAPE_MS_TOKENS", "very-secret-token")
    result = CliRunner().invoke(app, ["settings", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["env"]: r for r in map(orjson.loads, result.stdout.splitlines())}
    assert rows["TRENDMON_SIM_SEED"]["value"] == "42"
    assert rows["TRENDMON_SIM_SEED"]["default"] == "7"
    assert rows["TRENDMON_SCRAPE_MS_TOKENS"]["value"] == "********"
    assert "very-secret-token" not in result.output
    table = CliRunner().invoke(app, ["settings"])
    assert "TRENDMON_HOME" in table.stdout and "very-secret-token" not in table.stdout


def test_a_bad_setting_is_one_line_naming_the_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"TRENDMON_SIM_SEED": "not-a-number", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "trendmon", "settings"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "TRENDMON_SIM_SEED" in proc.stderr and "error:" in proc.stderr


def test_the_readme_lists_every_setting() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for cls in COMPONENTS.values():
        prefix = cls.model_config.get("env_prefix", "")
        for name, field in cls.model_fields.items():
            row = f"| `{(prefix + name).upper()}` |"
            assert row in readme, f"README.md has no row for {row}"
            assert field.description in readme
