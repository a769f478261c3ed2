"""`plan/apply --changed-since REF`: only the zone files that differ from a git revision are planned (so a
pull request costs the requests of the zones it touches); deleted zone files are reported, never acted on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from emu_records import user_records

from zonesync.cli import cli
from zonesync.emulator.server import Emulator

ZONES = ("a.example", "b.example", "c.example", "d.example")


def zone_text(zone: str, address: str = "192.0.2.1") -> str:
    return f"zone: {zone}\nrecords:\n  www:\n    type: A\n    value: {address}\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A git repository with zones a, b, c committed and applied; the emulator also holds zone d."""
    emu = Emulator(tokens=("test-token",), zones=ZONES, rate_limit=0).start()
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "test-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "zones").mkdir()
    for zone in ZONES[:3]:
        (tmp_path / "zones" / f"{zone}.yaml").write_text(zone_text(zone))
    git(tmp_path, "init", "-q", "-b", "main")
    git(
        tmp_path,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "empty",
    )
    git(tmp_path, "add", "zones")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "zones")
    assert run("apply", "--yes").exit_code == 0
    try:
        yield tmp_path, emu
    finally:
        emu.stop()


def test_only_changed_zone_files_are_planned_and_applied(repo) -> None:
    root, emu = repo
    (root / "zones" / "b.example.yaml").write_text(zone_text("b.example", "192.0.2.2"))  # modified
    (root / "zones" / "c.example.yaml").unlink()  # deleted
    (root / "zones" / "d.example.yaml").write_text(zone_text("d.example"))  # new, untracked
    emu.reset_stats()
    result = run("plan", "--exit-code", "--changed-since", "HEAD")
    assert result.exit_code == 2, result.output
    assert "b.example" in result.stdout and "d.example" in result.stdout
    assert "a.example" not in result.stdout
    assert "zones/c.example.yaml was deleted since HEAD: zone c.example is not planned" in result.stderr
    # requests of the two zones it touches: one zone-list page, two listings
    assert emu.stats()["by_route"] == {"GET /zones": 1, "GET /zones/:id/dns_records": 2}

    result = run("apply", "--yes", "--changed-since", "HEAD")
    assert result.exit_code == 0, result.output
    assert [r["content"] for r in user_records(emu, "b.example")] == ["192.0.2.2"]
    assert [r["content"] for r in user_records(emu, "d.example")] == ["192.0.2.1"]
    assert [r["content"] for r in user_records(emu, "c.example")] == ["192.0.2.1"]  # never deleted silently


def test_named_zone_files_are_filtered_too(repo) -> None:
    root, emu = repo
    (root / "zones" / "b.example.yaml").write_text(zone_text("b.example", "192.0.2.9"))
    result = run("plan", "--changed-since", "HEAD~1", "a.example", "b.example")
    assert result.exit_code == 0, result.output  # both differ from the empty first commit
    assert "a.example" in result.stdout and "b.example" in result.stdout
    emu.reset_stats()
    result = run("plan", "--changed-since", "HEAD", "a.example", "b.example")
    assert "b.example" in result.stdout and "a.example" not in result.stdout
    assert emu.stats()["total"] == 2


def test_nothing_changed_costs_no_request(repo) -> None:
    _, emu = repo
    emu.reset_stats()
    result = run("plan", "--exit-code", "--changed-since", "HEAD", "--format", "markdown")
    assert result.exit_code == 0
    assert "No zone file differs from HEAD: nothing to plan." in result.stderr
    assert result.stdout.startswith("<!-- zonesync-plan -->")
    assert run("apply", "--yes", "--changed-since", "HEAD").stdout.strip() == "Nothing to apply."
    assert emu.stats()["total"] == 0


@pytest.mark.parametrize("ref", ["no-such-branch", "--output=x"])
def test_unknown_revision_is_one_clear_line(repo, ref: str) -> None:
    result = run("plan", f"--changed-since={ref}")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: --changed-since {ref}") and result.stderr.count("\n") == 1


def test_outside_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    (tmp_path / "zones").mkdir()
    (tmp_path / "zones" / "a.example.yaml").write_text(zone_text("a.example"))
    result = run("plan", "--changed-since", "main")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --changed-since main: ") and result.stderr.count("\n") == 1
