"""The progress line on stderr for long runs: redrawn in place four times a second, only when stderr is a
terminal (never in CI logs or pipes) and not turned off with `--no-progress`; nothing for runs shorter than
half a second; erased when the run ends, so the output that follows is the same as without it."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import click

from zonesync.run.progress import Progress

DELAY = 0.5
"""Seconds before the line first appears."""
INTERVAL = 0.25

no_progress_option = click.option(
    "--no-progress",
    is_flag=True,
    help="No progress line on stderr (shown only on a terminal, for runs longer than half a second).",
)


class ProgressLine:
    """Draws `progress` from a thread between `show()` and `close()`, when enabled and on a terminal."""

    def __init__(self, progress: Progress, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.progress = progress
        self._out = stream if stream is not None else sys.stderr
        self._enabled = enabled and self._out.isatty()
        self._stop = threading.Event()
        self._drawn = False
        self._thread: threading.Thread | None = None

    def show(self) -> None:
        if self._enabled and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._draw, name="zonesync-progress", daemon=True)
            self._thread.start()

    def close(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        if self._drawn:
            self._out.write("\r\x1b[K")
            self._out.flush()
            self._drawn = False

    def _draw(self) -> None:
        if self._stop.wait(DELAY):
            return
        while True:
            self._out.write("\r\x1b[K" + self.progress.line())
            self._out.flush()
            self._drawn = True
            if self._stop.wait(INTERVAL):
                return


@contextmanager
def progress_line(
    progress: Progress, *, enabled: bool, show: bool = True, stream: TextIO | None = None
) -> Iterator[ProgressLine]:
    line = ProgressLine(progress, enabled=enabled, stream=stream)
    if show:
        line.show()
    try:
        yield line
    finally:
        line.close()
