"""Running the real CLI in-process, as a user types it (test helper shared by the end-to-end tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from zonesync.cli import cli


def run(*args: str | Path, color: bool = False) -> Result:
    """`zonesync ARGS...` through click's runner; exceptions propagate, so a traceback fails the test."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, color=color)


def python(
    code: str, cwd: str | Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`code` run by a fresh interpreter (what a process that starts from nothing imports, forks...), its
    output captured; the caller checks the return code."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout
    )
