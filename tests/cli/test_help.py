"""Every command documents itself with an example (the docs are part of the product)."""

from __future__ import annotations

import pytest
import typer.main
from typer.testing import CliRunner

from trendmon.cli import app


def _commands() -> list[tuple[str, ...]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = []

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        subcommands = getattr(cmd, "commands", None)
        if subcommands is not None:
            for name, sub in subcommands.items():
                walk(sub, (*path, name))
        else:
            found.append(path)

    walk(root, ())
    return found


def test_the_flow_has_its_commands() -> None:
    names = {path[0] for path in _commands()}
    assert {
        "scrape",
        "import",
        "simulate",
        "run",
        "replay",
        "evaluate",
        "dashboard",
        "log",
        "settings",
    } <= names


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p))
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Example" in text, f"`trendmon {' '.join(path)} --help` shows no example"
    assert len(text.split("Options")[0].strip().splitlines()) >= 3
