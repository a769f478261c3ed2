"""The release artefacts: what `python -m build` makes is what a user installs from PyPI or with pipx.

The wheel is built from this checkout, checked by `twine check`, installed into a fresh virtual environment
and run there — `--version`, `validate` and `plan` against the emulator — so a missing package-data file or a
module left out of the wheel fails here, not on a user's machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import zonesync

ROOT = Path(__file__).resolve().parent.parent


def run(
    cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel built from a copy of the tracked files (as a clean clone would have them)."""
    src = tmp_path_factory.mktemp("src")
    files = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT).stdout
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    built = run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)])
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    return out


def one(dist: Path, pattern: str) -> Path:
    (found,) = dist.glob(pattern)
    return found


def test_twine_check_accepts_sdist_and_wheel(dist: Path) -> None:
    checked = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(dist.iterdir()))])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2


def test_metadata_version_license_and_package_data(dist: Path) -> None:
    wheel = one(dist, "zonesync-*.whl")
    assert wheel.name.startswith(f"zonesync-{zonesync.__version__}-py3-none-any")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = zf.read(f"zonesync-{zonesync.__version__}.dist-info/METADATA").decode()
    assert "zonesync/schemas/plan.schema.json" in names
    assert "zonesync/py.typed" in names
    assert "zonesync/emulator/data/sample-seed.json" in names  # `zonesync emulator --sample-seed` reads it
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert f"Version: {zonesync.__version__}" in meta
    assert "License-Expression: MIT" in meta
    assert "Classifier: Topic :: Internet :: Name Service (DNS)" in meta
    assert "Project-URL: Changelog, " in meta
    assert "Requires-Dist: cloudflare" in meta
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
    with tarfile.open(one(dist, "zonesync-*.tar.gz")) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"} <= members


def test_wheel_installs_and_runs(dist: Path, tmp_path: Path, emulator) -> None:
    """A fresh venv holding only the wheel (dependencies borrowed from this environment through a .pth
    line, which adds the path without running this environment's editable-install hooks)."""
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", "--without-pip", str(venv)]).returncode == 0
    py = venv / "bin" / "python"
    site = Path(
        run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    )
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "--quiet",
         str(one(dist, "zonesync-*.whl"))]
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    where = run([str(py), "-c", "import zonesync; print(zonesync.__file__)"], cwd=tmp_path).stdout
    assert where.startswith(str(site)), where  # the wheel's copy, not this checkout

    seed = run(
        [str(py), "-c", "from zonesync.emulator.sample import sample_seed; print(sample_seed()['zones'][0]['name'])"],
        cwd=tmp_path,
    )  # fmt: skip
    assert seed.returncode == 0 and seed.stdout.strip() == "example.com", seed.stderr  # from the wheel's data

    zonesync_bin = str(venv / "bin" / "zonesync")
    version = run([zonesync_bin, "--version"], cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == f"zonesync, version {zonesync.__version__}"

    (tmp_path / "zones").mkdir()
    (tmp_path / "zones" / "example.com.yaml").write_text(
        "zone: example.com\nrecords:\n  www: {type: A, value: 192.0.2.1}\n"
    )
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": "test-token", "CLOUDFLARE_BASE_URL": emulator.url}
    assert run([zonesync_bin, "validate"], cwd=tmp_path, env=env).returncode == 0
    plan = run([zonesync_bin, "plan", "--format", "json"], cwd=tmp_path, env=env)
    assert plan.returncode == 0, plan.stderr
    assert '"create"' in plan.stdout and "www.example.com" in plan.stdout
