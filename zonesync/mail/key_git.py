"""Private keys and git: every folder zonesync writes a private key into ignores everything but `*.pub`,
and a private key git tracks, or would offer for commit, is reported.

The key folder's own `.gitignore` is what keeps a key out of the user's repository, wherever the folder
is and whatever the repository's top-level `.gitignore` says (a nested `.gitignore` is read after it):

    *
    !*.pub
    !.gitignore

`*` covers every private-key name the presets use (maddy's and rspamd's `.key`, docker-mailserver's
`.private`) and any name `private_key:` gives. A `.gitignore` that lacks these lines gets them appended
(the last matching line decides, so the user's own lines above keep their meaning for the `.pub` files).

Asking git costs a subprocess, so it is done only for a private key file that exists, with a time bound;
outside a git repository, or without git, nothing is said.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
from pathlib import Path

from zonesync.model import Diagnostic, Source

GITIGNORE = ".gitignore"
RULES = ("*", "!*.pub", "!.gitignore")
HEADER = "# DKIM private keys never enter git; the public halves (*.pub) may: plan works without the secret"
GIT_TIMEOUT = 10.0
"""Seconds one git command may take (a huge repository on a slow disk) before the check is skipped."""


def _rules_last(text: str) -> bool:
    """Whether the file's last rules are RULES, in order (comments and blank lines aside)."""
    lines = [line.strip() for line in text.splitlines()]
    rules = [line for line in lines if line and not line.startswith("#")]
    return tuple(rules[-len(RULES) :]) == RULES


def ensure_gitignore(folder: Path) -> None:
    """Make `folder/.gitignore` end with RULES: written when missing, appended to when it lacks them.

    Written atomically (a new file renamed over the old one, never through a link). Raises OSError when
    the folder cannot be written.
    """
    path = folder / GITIGNORE
    old = ""
    if path.is_file() and not path.is_symlink():
        with contextlib.suppress(UnicodeDecodeError):
            old = path.read_bytes()[:1_000_000].decode("utf-8")
        if _rules_last(old):
            return
    body = "\n".join((HEADER, *RULES)) + "\n"
    text = (old.rstrip("\n") + "\n\n" + body) if old.strip() else body
    tmp = folder / f".{GITIGNORE}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            os.fchmod(fd, 0o644)
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """`git -C folder args`, or None when git is missing or too slow."""
    try:
        return subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def key_in_git(private: Path, source: Source) -> list[Diagnostic]:
    """An error when git tracks private key `private`, a warning when git would offer it for commit.

    Nothing when the file does not exist, when it is outside a git work tree, or when git cannot answer.
    """
    if not private.is_file():
        return []
    folder, name = private.parent, private.name
    tracked = _git(folder, "ls-files", "--error-unmatch", "--", name)
    if tracked is None or tracked.returncode not in (0, 1):  # no git, or not a repository
        return []
    if tracked.returncode == 0:
        return [
            Diagnostic(
                "error",
                source,
                f"the DKIM private key {private} is tracked by git: anyone who can read the repository can "
                "sign mail as this domain. Remove it from git (`git rm --cached`), add a .gitignore holding "
                f"'*', '!*.pub' and '!.gitignore' to {folder}, and rotate the key (a new selector): its "
                "history keeps the old one",
            )
        ]
    ignored = _git(folder, "check-ignore", "-q", "--", name)
    if ignored is None or ignored.returncode != 1:  # 0: ignored; 128: git cannot tell
        return []
    return [
        Diagnostic(
            "warning",
            source,
            f"git would offer the DKIM private key {private} for commit: add a .gitignore holding '*', "
            f"'!*.pub' and '!.gitignore' to {folder} (zonesync writes one whenever it writes a key)",
        )
    ]
