"""The command starts, documents every command, and turns bad input into exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_commands(cli):  # type: ignore[no-untyped-def]
    res = cli("--help")
    assert res.code == 0
    for command in ("treatments", "show", "symptoms", "sources", "db"):
        assert command in res.stdout


def test_every_command_is_in_the_readme() -> None:
    """A command nobody can find is a command nobody uses (datasette's rule)."""
    from smanav.cli import app

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    import typer.main

    group = typer.main.get_command(app)
    names = list(group.commands)  # type: ignore[attr-defined]
    assert names
    for name in names:
        assert f"smanav {name}" in readme, f"`smanav {name}` is not documented in README.md"


def test_console_script_starts(tmp_path: Path) -> None:
    """`smanav --help` runs as a fresh process (the installed entry point)."""
    exe = Path(sys.executable).with_name("smanav")
    res = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert "Usage" in res.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("show", "zzzz-not-a-drug"), "not in the knowledge base"),
        (("treatments", "--domain", "astrology"), "not a care domain"),
        (("no-such-command",), "No such command"),
    ],
)
def test_bad_input_exits_2_with_a_message(cli, args, needle):  # type: ignore[no-untyped-def]
    res = cli(*args)
    assert res.code == 2
    assert needle in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_every_setting_is_documented() -> None:
    from smanav.settings import SETTINGS

    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for name, _default, help_text in SETTINGS:
        assert f"`{name}`" in page, f"setting {name} is not documented in docs/settings.md"
        assert help_text
    assert "smanav.settings" in (ROOT / "README.md").read_text(encoding="utf-8")
