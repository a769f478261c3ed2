"""Key files stay in the key folder: names checked before they become paths, folders 0700 whatever the
umask, a symbolic link where a key goes refused with its own message (zonesync/mail/keys.py, files.py)."""

from __future__ import annotations

import os
import stat
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from zonesync.cli import cli


def zone_file(workdir: Path, mail: str) -> Path:
    path = workdir / "zones" / "example.com.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        "zone: example.com\nmail:\n" + textwrap.indent(textwrap.dedent(mail).strip(), "  ") + "\n"
    )
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    return work


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("selector", ["/../../../target/y", "../y", "a/b", "x\n", "..", "sel_1"])
def test_a_selector_that_is_no_dns_name_never_becomes_a_path(workdir: Path, selector: str) -> None:
    """The issue: `dkim generate` wrote key files outside the key folder with `/../../../target/y`."""
    zone_file(workdir, f"dkim: [{{selector: {selector!r}}}]")
    before = files_under(workdir.parent)
    for args in (["dkim", "generate", "example.com"], ["validate"], ["dkim", "show", "example.com"]):
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert "zones/example.com.yaml:3: mail.dkim[0].selector: " in result.output
        assert "not a valid DNS label sequence" in result.output
    assert files_under(workdir.parent) == before


def test_an_explicit_key_path_with_a_bad_selector_is_not_generated(workdir: Path) -> None:
    zone_file(workdir, "dkim: [{selector: 'bad/sel', private_key: keys/k.key}]")
    result = run("dkim", "generate", "example.com")
    assert result.exit_code == 1 and "selector 'bad/sel' is not a valid DNS label sequence" in result.output
    assert not (workdir / "keys").exists()


def test_import_refuses_a_zone_that_is_a_path(workdir: Path) -> None:
    bind = workdir / "db.zone"
    bind.write_text("$ORIGIN x.example.\n@ 300 IN A 192.0.2.1\n")
    for zone in ("../../x.example", "a/b.example", "x.example/..", "com"):
        result = run("import", zone, "--from-bind", str(bind))
        assert result.exit_code == 1, result.output
        assert "is not a zone name" in result.output
    assert files_under(workdir.parent) == {"work", "work/db.zone"}


@pytest.mark.usefixtures("umask_000")
def test_folders_zonesync_creates_are_0700_under_umask_000(workdir: Path) -> None:
    """The issue: parent folders created under umask 000 were 0777."""
    zone_file(workdir, "key_dir: secrets/dkim/keys\ndkim: [{selector: default, algorithm: ed25519}]")
    result = run("dkim", "generate", "example.com")
    assert result.exit_code == 0, result.output
    for folder in ("secrets", "secrets/dkim", "secrets/dkim/keys"):
        assert stat.S_IMODE((workdir / folder).stat().st_mode) == 0o700, folder
    key = workdir / "secrets/dkim/keys/example.com_default.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    result = run("mta-sts", "policy", "example.com", "--out-dir", "site")
    assert result.exit_code == 1  # no mta_sts section: nothing written, nothing created
    zone_file(workdir, "mx: [{host: mx.example.net.}]\nmta_sts: {mode: testing}")
    result = run("mta-sts", "policy", "example.com", "--out-dir", "site/out")
    assert result.exit_code == 0, result.output
    for folder in ("site", "site/out", "site/out/example.com", "site/out/example.com/.well-known"):
        assert stat.S_IMODE((workdir / folder).stat().st_mode) == 0o700, folder


@pytest.mark.usefixtures("umask_000")
def test_existing_folders_keep_their_mode(workdir: Path) -> None:
    (workdir / "keys").mkdir(mode=0o750)
    os.chmod(workdir / "keys", 0o750)
    zone_file(workdir, "dkim: [{selector: default, algorithm: ed25519}]")
    assert run("dkim", "generate", "example.com").exit_code == 0
    assert stat.S_IMODE((workdir / "keys").stat().st_mode) == 0o750


@pytest.mark.parametrize("which", ["key", "pub"])
@pytest.mark.parametrize("dangling", [True, False])
def test_a_symlink_at_the_key_path_gets_its_own_message(workdir: Path, which: str, dangling: bool) -> None:
    """The issue: refused with a misleading "File exists; check the folder's permissions"."""
    zone_file(workdir, "dkim: [{selector: default, algorithm: ed25519}]")
    (workdir / "keys").mkdir()
    elsewhere = workdir.parent / "elsewhere"
    if not dangling:
        elsewhere.write_text("not a key\n")
    link = workdir / "keys" / ("example.com_default.key" + (".pub" if which == "pub" else ""))
    link.symlink_to(elsewhere)
    result = run("dkim", "generate", "example.com")
    if which == "key" and not dangling:
        # a link to an existing file is a key the user put there: read, never written (this one is no key)
        assert result.exit_code == 1 and "cannot be used" in result.output
    else:
        assert result.exit_code == 1, result.output
        assert f"{link} is a symbolic link (to {elsewhere}" in result.output
        assert "File exists" not in result.output and "permissions" not in result.output
        assert not (workdir / "keys" / "example.com_default.key").is_file() or which == "pub"
    assert elsewhere.exists() == (not dangling)
    if not dangling:
        assert elsewhere.read_text() == "not a key\n"
