"""The shipped pre-commit hook (`.pre-commit-hooks.yaml`), run by pre-commit itself the way a user's
repository runs it: pre-commit builds its own environment from this checkout and calls `zonesync validate`
on the staged zone files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GOOD = "zone: good.example\nrecords:\n  www: {type: A, value: 192.0.2.1}\n"
BAD = "zone: bad.example\nrecords:\n  www: {type: A, vaule: 192.0.2.1}\n"


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    repo = tmp_path_factory.mktemp("scratch")
    git("init", "-q", cwd=repo)
    (repo / "zones").mkdir()
    (repo / "zones" / "good.example.yaml").write_text(GOOD)
    (repo / "zones" / "bad.example.yaml").write_text(BAD)
    (repo / "README.md").write_text("not a zone file\n")
    git("add", ".", cwd=repo)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home")),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }  # fmt: skip
    return repo, env


def try_repo(scratch: tuple[Path, dict[str, str]], *files: str) -> subprocess.CompletedProcess[str]:
    repo, env = scratch
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or "pre-commit"
    return subprocess.run(
        [pre_commit, "try-repo", str(ROOT), "zonesync-validate", "--files", *files],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_hook_definition() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "zonesync-validate" and hook["entry"] == "zonesync validate"
    assert hook["language"] == "python"  # pre-commit installs zonesync from the repository itself


def test_good_zone_passes(scratch: tuple[Path, dict[str, str]]) -> None:
    result = try_repo(scratch, "zones/good.example.yaml", "README.md")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "zonesync validate" in result.stdout and "Passed" in result.stdout


def test_bad_zone_fails_with_the_line(scratch: tuple[Path, dict[str, str]]) -> None:
    result = try_repo(scratch, "zones/good.example.yaml", "zones/bad.example.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert (
        "zones/bad.example.yaml:3: records.www.vaule: unknown key 'vaule' (did you mean 'value'?)"
        in result.stdout
    )
