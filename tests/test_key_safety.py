"""DKIM key files under hostile or careless conditions (issue 21, items 5, 7, 8, 9): private keys never reach
git, key files are read only when they are regular files of sane size inside their folder, no error quotes
a file that is not a key, and a private key others can read gets a warning."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from clirun import run
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from zonesync.mail.keyfiles import MAX_KEY_FILE

MADDY = """
zone: example.com
mail:
  preset: maddy
  mx: [{host: mx, priority: 10}]
  hosts: {mx: {ipv4: [203.0.113.25]}}
  dkim:
    - selector: default
      algorithm: ed25519
"""

DMS = """
zone: example.com
mail:
  preset: docker-mailserver
  mx: [{host: mx, priority: 10}]
  hosts: {mx: {ipv4: [203.0.113.25]}}
"""

SECRET = "sk_live_TOPSECRET_0123456789abcdef"


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return proc.stdout


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    git(path, "config", "user.email", "t@example.test")
    git(path, "config", "user.name", "t")
    return path


def pem_pair() -> tuple[bytes, bytes]:
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def zone_file(root: Path, text: str) -> None:
    (root / "zones").mkdir(exist_ok=True)
    (root / "zones" / "example.com.yaml").write_text(textwrap.dedent(text).lstrip())


def untracked(repo: Path) -> list[str]:
    out = git(repo, "status", "--porcelain", "--untracked-files=all")
    return sorted(line[3:] for line in out.splitlines())


# --- item 5: a private key written anywhere is ignored by git ----------------------------------------


@pytest.mark.parametrize(
    ("zone", "private", "selector"),
    [
        (MADDY, "keys/example.com_default.key", "default"),
        (DMS, "keys/example.com/mail.private", "mail"),  # docker-mailserver names its keys .private
    ],
)
def test_key_generated_in_a_clone_is_not_offered_to_git(tmp_path, monkeypatch, zone, private, selector):
    """A clone holding only the committed .pub files of another selector: the key folder exists, and the
    new private key must still be ignored by git."""
    repo = make_repo(tmp_path / "user-repo")
    zone_file(repo, zone)
    folder = (repo / private).parent
    folder.mkdir(parents=True)
    (folder / "other.pub").write_bytes(pem_pair()[1])  # committed before: a folder zonesync did not make
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "zones and public keys")
    monkeypatch.chdir(repo)
    result = run("dkim", "generate", "example.com")
    assert result.exit_code == 0, result.output
    assert (repo / private).is_file()
    offered = untracked(repo)
    assert not [p for p in offered if not p.endswith((".pub", ".gitignore"))], offered
    assert f"{Path(private).parent}/{selector}.private.pub" in offered or private + ".pub" in offered
    git(repo, "add", "-A")
    staged = git(repo, "diff", "--cached", "--name-only").split()
    assert private not in staged and all(p.endswith((".pub", ".gitignore")) for p in staged), staged


def test_an_existing_gitignore_is_corrected(tmp_path, monkeypatch):
    """The .gitignore of an older zonesync listed `*.key`: the rules are appended, the user's lines kept."""
    repo = make_repo(tmp_path / "user-repo")
    zone_file(repo, MADDY.replace("algorithm: ed25519", "algorithm: ed25519\n      private_key: keys/x.pem"))
    (repo / "keys").mkdir()
    (repo / "keys" / ".gitignore").write_text("# mine\n*.key\n")
    monkeypatch.chdir(repo)
    result = run("dkim", "generate", "example.com")
    assert result.exit_code == 0, result.output
    text = (repo / "keys" / ".gitignore").read_text()
    assert text.startswith("# mine\n*.key\n") and text.endswith("*\n!*.pub\n!.gitignore\n")
    assert "keys/x.pem" not in untracked(repo)
    run("dkim", "generate", "example.com")
    assert (repo / "keys" / ".gitignore").read_text() == text  # said once


def test_validate_and_plan_refuse_a_tracked_private_key(tmp_path, monkeypatch, emulator):
    repo = make_repo(tmp_path / "user-repo")
    zone_file(repo, MADDY)
    private, _ = pem_pair()
    key = repo / "keys" / "example.com_default.key"
    key.parent.mkdir()
    key.write_bytes(private)
    key.chmod(0o600)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "oops, the key")
    monkeypatch.chdir(repo)
    for command in (("validate",), ("plan",)):
        result = run(*command)
        assert result.exit_code != 0, (command, result.output)
        lines = [line for line in result.output.splitlines() if "tracked by git" in line]
        assert len(lines) == 1 and str(key) in lines[0] and "error" in lines[0].lower(), result.output
        assert "Traceback" not in result.output


def test_validate_warns_about_a_private_key_git_would_offer(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "user-repo")
    zone_file(repo, MADDY)
    key = repo / "keys" / "example.com_default.key"
    key.parent.mkdir()
    key.write_bytes(pem_pair()[0])
    key.chmod(0o600)
    monkeypatch.chdir(repo)
    result = run("validate")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "git would offer the DKIM private key" in line]
    assert len(lines) == 1 and lines[0].startswith("warning:") and str(key) in lines[0], result.output
    (key.parent / ".gitignore").write_text("*\n!*.pub\n!.gitignore\n")
    result = run("validate")
    assert result.exit_code == 0 and "git would offer" not in result.output, result.output


def test_outside_a_git_repository_nothing_is_said(workdir):
    zone_file(workdir, MADDY)
    key = workdir / "keys" / "example.com_default.key"
    key.parent.mkdir()
    key.write_bytes(pem_pair()[0])
    key.chmod(0o600)
    result = run("validate")
    assert result.exit_code == 0 and "git" not in result.output, result.output


# --- item 7: only regular files of sane size ---------------------------------------------------------


def validate_subprocess(cwd: Path) -> subprocess.CompletedProcess[str]:
    """In a process of its own with a time bound: a FIFO used to block validate forever."""
    env = {k: v for k, v in os.environ.items() if k != "ZONESYNC_PLAN_KEY"}
    return subprocess.run(
        [sys.executable, "-m", "zonesync", "validate"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("kind", ["/dev/zero", "/dev/urandom", "fifo", "folder", "huge"])
@pytest.mark.parametrize("which", ["private", "pub"])
def test_key_files_that_are_not_regular_files_of_sane_size(workdir, kind, which):
    folder = workdir / "keys"
    folder.mkdir()
    target = folder / ("k.key" if which == "private" else "k.key.pub")
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    elif kind == "huge":
        target.write_bytes(b"-----BEGIN PUBLIC KEY-----\n" + b"A" * (MAX_KEY_FILE + 10))
    elif which == "pub":
        target.symlink_to(kind)  # a link out of the folder, to a device
    zone = MADDY.replace("algorithm: ed25519", "algorithm: ed25519\n      private_key: keys/k.key")
    if which == "private" and kind.startswith("/dev/"):
        zone = MADDY.replace("algorithm: ed25519", f"algorithm: ed25519\n      private_key: {kind}")
    zone_file(workdir, zone)
    proc = validate_subprocess(workdir)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "error" in line.lower()]
    assert len(errors) == 1, proc.stdout + proc.stderr
    line = errors[0]
    assert "example.com.yaml" in line and "mail.dkim[0]" in line
    name = kind if which == "private" and kind.startswith("/dev/") else str(target.name)
    assert name in line
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stdout + proc.stderr) < 4000


# --- item 8: links out of the key folder, and no file quoted ------------------------------------------


@pytest.fixture
def secret_file(tmp_path) -> Path:
    path = tmp_path / "elsewhere" / "secrets.env"
    path.parent.mkdir()
    path.write_text(f"# deploy secrets\nAPI_TOKEN={SECRET}\np={SECRET}; v={SECRET}\n")
    return path


def outputs(result) -> str:
    return result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.mark.parametrize("link", ["pub", "private", "dns", "plain"])
def test_no_command_prints_a_file_a_key_link_points_to(workdir, emulator, secret_file, link):
    zone_file(workdir, MADDY)
    folder = workdir / "keys"
    folder.mkdir()
    name = {
        "pub": "example.com_default.key.pub",
        "private": "example.com_default.key",
        "dns": "example.com_default.dns",
        "plain": "example.com_default.key.pub",
    }[link]
    if link == "plain":  # a regular file in the folder holding anything but a key: only a short excerpt
        (folder / name).write_text(f"v=DKIM1; k=rsa; {SECRET}\n")
    else:
        (folder / name).symlink_to(secret_file)
    seen = []
    for command in (("validate",), ("plan",), ("apply", "--yes"), ("dkim", "show", "example.com")):
        result = run(*command)
        text = outputs(result)
        seen.append(text)
        assert SECRET not in text and SECRET[:13] not in text, (command, text)  # 12 characters at most
        assert "Traceback" not in text
    assert any(name in text for text in seen)
    if link != "plain":
        assert any("symbolic link leading out of its folder" in text for text in seen), seen


def test_a_link_inside_the_key_folder_is_followed(workdir):
    zone_file(workdir, MADDY)
    folder = workdir / "keys"
    (folder / "store").mkdir(parents=True)
    _, public = pem_pair()
    (folder / "store" / "real.pub").write_bytes(public)
    (folder / "example.com_default.key.pub").symlink_to("store/real.pub")
    result = run("dkim", "show", "example.com")
    assert result.exit_code == 0, result.output
    assert "key from: public key file" in result.output and "error" not in result.output


# --- item 9: a private key others can read -----------------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o666, 0o640])
def test_a_private_key_others_can_read_gets_a_warning(workdir, mode):
    zone_file(workdir, MADDY)
    key = workdir / "keys" / "example.com_default.key"
    key.parent.mkdir()
    key.write_bytes(pem_pair()[0])
    key.chmod(mode)
    result = run("validate")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "chmod 600" in line]
    assert len(warnings) == 1, result.output
    assert str(key) in warnings[0] and f"mode {mode:04o}" in warnings[0] and "warning" in warnings[0]
    key.chmod(0o600)
    assert "chmod" not in run("validate").output
