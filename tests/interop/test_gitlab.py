"""docs/ci/gitlab-ci.yml as shipped, run by gitlab-ci-local (a real GitLab CI runner; shell executor) on a
scratch repository made from a fresh clone, against the emulator as the API. Three pipelines: fresh zones
(plan and apply pass), again (nothing to apply), and the live zone changed between plan and apply (apply
refuses with exit 3 and writes nothing).

As a runner image with Python would, the harness puts a fresh virtualenv first on PATH (the machine's
Python refuses a bare `pip install`, PEP 668). The recipe installs `zonesync==<version>` from the package
index; the index here is a folder holding the wheel built from the clone (PIP_FIND_LINKS, PIP_NO_INDEX).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GITLAB_CI_LOCAL, ROOT
from world import World, world

ZONE = """\
zone: example.com
records:
  "@":
    - {type: A, value: 203.0.113.10}
    - {type: MX, value: "10 mx.example.com."}
  www: {type: CNAME, value: example.com., proxied: true}
  mx: {type: A, value: 203.0.113.25}
"""
PLAN_KEY = "interop-plan-key-0123456789abcdef"


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def commit(repo: Path, message: str) -> None:
    git("add", "-A", cwd=repo)
    git("commit", "--quiet", "-m", message, cwd=repo)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel built from a fresh clone, in a folder that serves as the package index: (folder, version)."""
    if not GITLAB_CI_LOCAL.exists():
        pytest.skip(f"not installed: gitlab-ci-local ({GITLAB_CI_LOCAL}; run `make test-interop`)")
    base = tmp_path_factory.mktemp("release")
    git("clone", "--quiet", str(ROOT), str(base / "src"), cwd=base)
    index = base / "index"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(index), str(base / "src")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = index.glob("zonesync-*.whl")
    return index, wheel.name.split("-")[1]


@pytest.fixture
def project(tmp_path: Path, needs, release) -> Iterator[tuple[World, Path, Path]]:
    """The emulator, a scratch repository made from a fresh clone with the recipe as .gitlab-ci.yml, and the
    bin folder of a fresh virtualenv (zonesync not installed)."""
    from ci_runner import fresh_python

    needs("gitlab-ci-local")
    repo = tmp_path / "repo"
    git("clone", "--quiet", str(ROOT), str(repo), cwd=tmp_path)
    git("checkout", "--quiet", "-B", "main", cwd=repo)  # the project's default branch
    git("config", "user.name", "Zone Keeper", cwd=repo)
    git("config", "user.email", "dns@example.com", cwd=repo)
    git("remote", "set-url", "origin", "https://gitlab.example.com/example/dns.git", cwd=repo)
    # what the server had before the push: the runner's `rules: changes:` compare with it
    git("update-ref", "refs/remotes/origin/main", "HEAD", cwd=repo)
    git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main", cwd=repo)
    git("rm", "-r", "--quiet", "zones", cwd=repo)
    (repo / "zones").mkdir()
    (repo / "zones" / "example.com.yaml").write_text(ZONE)
    (repo / ".gitlab-ci.yml").write_bytes((repo / "docs" / "ci" / "gitlab-ci.yml").read_bytes())
    commit(repo, "zones and the recipe")
    bin_dir = fresh_python(tmp_path / "venv")
    with world(tmp_path / "emulator", "example.com") as w:
        yield w, repo, bin_dir


def pipeline(
    w: World, repo: Path, venv_bin: Path, index: Path, *jobs: str
) -> subprocess.CompletedProcess[str]:
    """`gitlab-ci-local --force-shell-executor [JOB...]` in the scratch repository, the virtualenv first on
    PATH, the folder `index` as the package index, the emulator as the API."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "VIRTUAL_ENV", "PYTHON", "CLOUDFLARE_", "ZONESYNC_"))
    }
    ours = str(Path(sys.executable).parent)  # the test's own virtualenv, which has zonesync: not for the jobs
    path = [venv_bin, *(p for p in env["PATH"].split(os.pathsep) if p != ours)]
    env.update(
        PATH=os.pathsep.join(map(str, path)),
        PIP_FIND_LINKS=str(index),
        PIP_NO_INDEX="1",
        HOME=str(repo.parent / "home"),
    )
    variables = {
        "CLOUDFLARE_API_TOKEN": w.env["CLOUDFLARE_API_TOKEN"],
        "CLOUDFLARE_BASE_URL": w.api,
        "ZONESYNC_PLAN_KEY": PLAN_KEY,
    }
    argv = [str(GITLAB_CI_LOCAL), "--force-shell-executor", "--color=false", "--cwd", "."]
    for key, value in variables.items():
        argv += ["--variable", f"{key}={value}"]
    return subprocess.run(
        [*argv, *jobs], cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def live(w: World) -> list[tuple[str, str, str]]:
    """The zone's records, without zonesync's own zone lock record (docs/git-ops.md)."""
    records = w.control("records?zone=example.com")
    return sorted(
        (r["name"], r["type"], r["content"]) for r in records if not r["name"].startswith("_zonesync-lock.")
    )


def test_recipe_under_gitlab_ci_local(project, release) -> None:
    w, repo, venv_bin = project
    index, version = release
    recipe = (repo / ".gitlab-ci.yml").read_text()
    assert f'ZONESYNC_VERSION: "zonesync=={version}"' in recipe  # the release, from the package index

    first = pipeline(w, repo, venv_bin, index)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert f"zonesync, version {version}" in first.stdout
    assert list(
        venv_bin.parent.glob(f"lib/python*/site-packages/zonesync-{version}.dist-info")
    )  # pip put it there
    applied = live(w)
    assert ("www.example.com", "CNAME", "example.com") in applied and len(applied) == 4, applied

    again = pipeline(w, repo, venv_bin, index)
    assert again.returncode == 0, again.stdout[-4000:]
    assert "Nothing to apply." in again.stdout
    assert live(w) == applied

    (repo / "zones" / "example.com.yaml").write_text(ZONE.replace("203.0.113.10", "203.0.113.11"))
    commit(repo, "a new address")
    planned = pipeline(w, repo, venv_bin, index, "dns-plan")
    assert planned.returncode == 0, planned.stdout[-4000:]
    w.add("example.com", "TXT", "dashboard", "edited by hand")  # the live zone moves on
    changed = live(w)
    refused = pipeline(w, repo, venv_bin, index, "dns-apply")
    assert refused.returncode != 0, refused.stdout[-4000:]
    assert re.search(r"dns-apply finished in .*FAIL 3\b", refused.stderr), (
        refused.stderr
    )  # the job's exit code
    assert "the live zone changed since the plan was made" in refused.stdout
    assert "nothing was applied" in refused.stdout
    assert live(w) == changed  # nothing written
