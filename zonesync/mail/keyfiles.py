"""Reading DKIM key files with bounds: regular files of sane size, never through a link out of their folder.

A key file's path comes from a zone file, and the file itself may come from a pull request: it can be a
device (`/dev/zero` never ends, `/dev/urandom` neither), a FIFO (opening it blocks until a writer comes),
a folder, or a symbolic link to any file on the machine, whose contents a parse error would then print
into a CI log. So a key file is opened without blocking, checked to be a regular file after opening (no
race between the check and the read), read to at most `MAX_KEY_FILE` bytes, and refused when it is a link
leading out of the folder the key lives in. Errors name the file and say what it is, never what it holds
beyond a few characters (`dkim.excerpt`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_KEY_FILE = 64 * 1024
"""Largest key file read. A PEM RSA 4096 private key is about 3.3 KB, an RSA 16384 one (far beyond any DKIM
verifier's limit, RFC 8301 §3.2) about 12.7 KB; 64 KiB leaves room for comments and still reads no more
than a page of memory per selector."""


class KeyFileError(Exception):
    """A key file that exists but cannot be used; the message says why and what to do."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def link_problem(path: Path, folder: Path) -> str | None:
    """Why `path` may not be followed: a symbolic link (anywhere below `folder`) leading out of `folder`."""
    if not path.is_symlink() and path.parent.resolve() == folder.resolve():
        return None
    real = path.resolve()
    base = folder.resolve()
    if real == base or base in real.parents:
        return None
    return (
        f"{path} is a symbolic link leading out of its folder {folder}: zonesync reads key files only "
        "inside the key folder (a link could make it print any file); copy the key there, or point "
        "`private_key` at the real file"
    )


def read_key_file(path: Path, folder: Path | None = None) -> bytes:
    """The bytes of key file `path`, which must be a regular file of at most MAX_KEY_FILE bytes inside
    `folder` (default: its own folder) once links are followed.

    Raises FileNotFoundError if it does not exist, PermissionError (with the path) if it may not be read,
    KeyFileError for anything else: a link out of the folder, a FIFO, a device, a folder, a file too large.
    """
    problem = link_problem(path, path.parent if folder is None else folder)
    if problem is not None:
        raise KeyFileError(problem)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except PermissionError:
        raise PermissionError(str(path)) from None
    except IsADirectoryError:
        raise KeyFileError(f"{path} is a folder, not a key file") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"{path} is {_kind(info.st_mode)}, not a key file")
        if info.st_size > MAX_KEY_FILE:
            raise KeyFileError(
                f"{path} is {info.st_size} bytes: a DKIM key file is a few KB (zonesync reads at most "
                f"{MAX_KEY_FILE // 1024} KiB)"
            )
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_KEY_FILE:
            chunk = os.read(fd, MAX_KEY_FILE + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_KEY_FILE:  # it grew while being read
            raise KeyFileError(f"{path} is larger than {MAX_KEY_FILE // 1024} KiB: not a DKIM key file")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_key_text(path: Path, folder: Path | None = None) -> str:
    """`read_key_file` as text (UTF-8, undecodable bytes replaced: PEM and DKIM records are ASCII)."""
    return read_key_file(path, folder).decode("utf-8", errors="replace")


def loose_mode(path: Path) -> int | None:
    """The permission bits of private key `path` when group or others may read or write it, else None."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None
