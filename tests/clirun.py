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


def process(
    *args: str | Path, cwd: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`zonesync ARGS...` in a child process, as a terminal or a CI log gets it: the exact bytes of stdout and
    stderr (asyncio's last words at exit included); `env` is added to this process's environment, NO_COLOR
    removed (the default: colour only on a terminal, and this is a pipe)."""
    import os

    environment = {**os.environ, **(env or {})}
    environment.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "zonesync", *map(str, args)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        timeout=120,
        check=False,
    )


def python(
    code: str, cwd: str | Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`code` run by a fresh interpreter (what a process that starts from nothing imports, forks...), its
    output captured; the caller checks the return code."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout
    )
