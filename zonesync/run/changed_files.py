"""Zone files that differ from a git ref (`plan --changed-since REF`): a pull request that touches one zone
of thousands then costs that zone's requests, not the whole account's.

Compared with the working tree, so uncommitted edits count, and untracked new zone files too. A zone file
deleted since REF is reported, never acted on: its zone's records stay as they are at Cloudflare. Only the
zone files themselves are compared: a DKIM key file changed alone is not seen (the scheduled full plan of
the CI recipes catches it, and any drift)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zonesync.errors import ZonesyncError
from zonesync.zonefile.locate import SUFFIXES


@dataclass(frozen=True)
class Changed:
    files: tuple[Path, ...]
    """The candidate zone files that differ from the ref (in the candidates' order)."""
    deleted: tuple[Path, ...]
    """Zone files of the zones folder at the ref that no longer exist."""


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ZonesyncError("--changed-since needs git, which is not installed") from None
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["git failed"])[-1]
        raise ZonesyncError(f"--changed-since: git {args[0]}: {detail}")
    return proc.stdout


def _inside_work_tree(ref: str, here: Path) -> None:
    """Raises ZonesyncError, saying so, when `here` is not inside a git working tree."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"],
            cwd=here,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise ZonesyncError("--changed-since needs git, which is not installed") from None
    if proc.returncode != 0 or proc.stdout.strip() != "true":
        raise ZonesyncError(
            f"--changed-since {ref}: {here} is not in a git repository, so there is nothing to compare the "
            "zone files with; run zonesync in the repository's checkout, or leave --changed-since out to plan "
            "every zone file"
        )


def changed_since(
    ref: str, candidates: Sequence[Path], zone_dir: Path | None, cwd: Path | None = None
) -> Changed:
    """Which of `candidates` differ from `ref` (added, modified, untracked), and which zone files of
    `zone_dir` (when zone files were not named one by one) were deleted since."""
    here = Path.cwd() if cwd is None else cwd
    if ref.startswith("-") or not ref.strip():
        raise ZonesyncError(f"--changed-since {ref}: not a git revision")
    _inside_work_tree(ref, here)
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], here)
    except ZonesyncError:
        raise ZonesyncError(
            f"--changed-since {ref}: no such commit in this git repository (in CI, fetch it first: "
            "actions/checkout with fetch-depth: 0, or GIT_DEPTH: 0)"
        ) from None
    top = Path(_git(["rev-parse", "--show-toplevel"], here).strip())
    specs = [str(p) for p in candidates] + ([str(zone_dir)] if zone_dir is not None else [])
    diff = _git(["diff", "--name-status", "-z", "--no-renames", ref, "--", *specs], here)
    fields = diff.split("\0")
    modified: set[Path] = set()
    deleted: list[Path] = []
    for status, name in zip(fields[0::2], fields[1::2], strict=False):
        path = (top / name).resolve()
        if status.startswith("D"):
            deleted.append(path)
        else:
            modified.add(path)
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard", "--", *specs], here)
    modified.update((here / name).resolve() for name in untracked.split("\0") if name)
    files = tuple(p for p in candidates if (here / p).resolve() in modified)
    gone: list[Path] = []
    if zone_dir is not None:
        folder = (here / zone_dir).resolve()
        gone = [p for p in deleted if p.parent == folder and p.suffix in SUFFIXES and not p.exists()]
    return Changed(files, tuple(_shown(p, here) for p in sorted(gone)))


def _shown(path: Path, cwd: Path) -> Path:
    try:
        return path.relative_to(cwd.resolve())
    except ValueError:
        return path
