"""Large zone files parsed and checked in a forked child process, on another core, while this process
loads the SDK and reads the live zones. Why it stays: without it, the bench's scenario 1 ratio fell past
the bound of issue 22 (docs/performance.md, "Mechanisms that earn their place").

Reading a zone file is CPU work in Python (YAML events and per-record checks), and so is everything
`plan` does next to it: importing the SDK, sending the requests, reading the listing. Under the GIL a
thread cannot run them side by side (a reader thread even waits for its turn at every socket call while
the parser runs), a second process can. The child runs exactly `load_configs`, so the results and the
errors are the ones an in-process parse gives; it sends them back through a pipe and ends with `os._exit`
(no atexit handler, no flush of the parent's copied buffers).

Only where it is safe and pays:
- Linux (`os.fork` without exec is undefined after some macOS frameworks, absent on Windows);
- a process running one thread: a fork copies the locks other threads hold, and the child could wait on
  one forever;
- at least PARALLEL_BYTES of zone files: below that, the parse costs less than the fork and the transfer.

Records travel as plain tuples, far cheaper to pickle than the dataclasses. Anything but a zonesync error
in the child (a bug, no memory) is not reported from there: the parent parses again itself, so such a
failure looks exactly as it does without the child.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zonesync.errors import ZonesyncError
from zonesync.model import Record, Source

if TYPE_CHECKING:
    from zonesync.zonefile.config import ZoneConfig

PARALLEL_BYTES = 64 * 1024
"""Zone files (in all) at least this large are parsed in a child (about 1,500 records): below it, the
parse costs less than the fork and the transfer."""

_OK, _ERROR, _CRASH = "ok", "error", "crash"


def _flat(record: Record) -> tuple[Any, ...]:
    src = record.source
    where = (None, None, None, None) if src is None else (src.path, src.line, src.field, src.origin)
    return (record.name, record.type, record.value, record.ttl, record.proxied, record.comment, record.tags,
            record.id, record.pending, *where)  # fmt: skip


def _record(flat: tuple[Any, ...]) -> Record:
    name, rtype, value, ttl, proxied, comment, tags, rid, pending, path, line, field, origin = flat
    source = None if path is None else Source(path, line, field, origin)
    return Record(name, rtype, value, ttl, proxied, comment, tags, rid, source, pending)


def encode(configs: Sequence[ZoneConfig]) -> bytes:
    """The configs as bytes for the parent: records as tuples, the rest (a mail block...) pickled."""
    shells = [replace(cfg, records=()) for cfg in configs]
    return pickle.dumps((_OK, shells, [[_flat(r) for r in cfg.records] for cfg in configs]), protocol=5)


def decode(data: bytes) -> list[ZoneConfig]:
    """What the child sent: the configs, or its zonesync error raised here. ValueError for anything
    else (the child crashed, or its message is cut short)."""
    try:
        message = pickle.loads(data)
    except Exception:
        raise ValueError("the parse process ended without an answer") from None
    if not isinstance(message, tuple) or not message:
        raise ValueError("the parse process's answer is not one")
    if message[0] == _ERROR and len(message) == 2 and isinstance(message[1], ZonesyncError):
        raise message[1]
    if message[0] != _OK or len(message) != 3:
        raise ValueError("the parse process failed")
    _, shells, records = message
    return [
        replace(shell, records=tuple(map(_record, flat))) for shell, flat in zip(shells, records, strict=True)
    ]


class Parsing:
    """Zone files being parsed by a child process; `result()` the configs, as `load_configs` gives them."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)
        read, write = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:  # pragma: no cover - the child: measured by the tests through its answer
            os.close(read)
            _child(self.paths, write)
        os.close(write)
        self._read = read

    def result(self) -> list[ZoneConfig]:
        """The configs (or the zone file's error), waiting for the child; parsed here if the child failed."""
        chunks = []
        try:
            while chunk := os.read(self._read, 1 << 20):
                chunks.append(chunk)
        finally:
            self.close()
        try:
            return decode(b"".join(chunks))
        except ValueError:
            from zonesync.zonefile.load import load_configs

            return load_configs(self.paths)

    def close(self) -> None:
        """Stop the child if it still runs, and reap it (no zombie is left, whatever the parent's fate)."""
        if self._read < 0:
            return
        os.close(self._read)
        self._read = -1
        with suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)  # done (a zombie until reaped) or no longer wanted
        with suppress(ChildProcessError):
            os.waitpid(self._pid, 0)


def _child(paths: list[Path], fd: int) -> None:  # pragma: no cover - runs in the forked child
    code = 0
    try:
        from zonesync.zonefile.load import load_configs

        try:
            data = encode(load_configs(paths))
        except ZonesyncError as exc:
            data = pickle.dumps((_ERROR, exc), protocol=5)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException:  # a crash, an interrupt, a closed pipe: the parent parses again (or is stopping)
        code = 1
    os._exit(code)


def start(paths: Sequence[Path]) -> Parsing | None:
    """A child parsing `paths` when that is safe and pays (see the module's docstring), else None."""
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return None
    try:
        size = sum(p.stat().st_size for p in paths)
    except OSError:
        return None  # the parse says which file cannot be read
    if size < PARALLEL_BYTES:
        return None
    try:
        return Parsing(paths)
    except OSError:  # no process or pipe to be had: parse here
        return None
