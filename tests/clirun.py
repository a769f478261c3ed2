"""Running the real CLI in-process, as a user types it (test helper shared by the end-to-end tests)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from zonesync.cli import cli


def run(*args: str | Path, color: bool = False) -> Result:
    """`zonesync ARGS...` through click's runner; exceptions propagate, so a traceback fails the test."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, color=color)
