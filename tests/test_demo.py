"""`make demo` on a checkout holding the sample zones' committed DKIM public keys: it runs end to end and
leaves the checkout as it was (its keys are made in .demo/, never over or beside the committed .pub)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.ci_runner import copy_checkout


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=True).stdout


def test_demo_leaves_the_committed_public_keys_alone(tmp_path: Path) -> None:
    path = copy_checkout(tmp_path / "checkout")
    git(path, "init", "-q")
    git(path, "add", "--all")
    git(path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "checkout")
    pubs = {p.name: p.read_bytes() for p in (path / "keys").glob("*.pub")}
    assert len(pubs) == 2
    proc = subprocess.run(
        [sys.executable, "-m", "zonesync.cli.demo"],
        cwd=path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Demo done" in proc.stdout
    assert git(path, "status", "--porcelain", "--untracked-files=all") == ""
    assert {p.name: p.read_bytes() for p in (path / "keys").glob("*.pub")} == pubs
    assert sorted(p.name for p in (path / "keys").iterdir()) == [".gitignore", *sorted(pubs)]
