"""Folders zonesync creates (key folders, plan and policy output): 0700 whatever the umask; and writing a
file's bytes durably (the data, then the folder entry) for the atomic writers (key files, zone-file edits).

`Path.mkdir(mode=0o700, parents=True)` is not enough: the mode is masked by the umask, and the parents it
creates get the default mode (0777 under umask 000) — a key folder others can list and write into.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FOLDER_MODE = 0o700


def make_dirs(folder: Path) -> None:
    """Create `folder` and its missing parents, each 0700; folders that exist are left as they are."""
    missing: list[Path] = []
    current = folder
    while not current.is_dir() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, FOLDER_MODE)
        except FileExistsError:
            if path.is_dir():  # made meanwhile by someone else: not ours to change
                continue
            raise
        os.chmod(path, FOLDER_MODE)  # the umask narrowed or widened mkdir's mode


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to the open file `fd`, then fsync it."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename or link in `folder` durable (best effort: some filesystems cannot fsync a folder)."""
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
