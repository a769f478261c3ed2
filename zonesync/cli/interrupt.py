"""SIGINT during `apply`: stop between batches and say what landed, instead of dying mid-way.

Once armed (after the user confirmed the plan), the first SIGINT only sets a flag: the batch in flight
(one transaction at Cloudflare) is finished, no further batch is sent, the zone lock is given back and
the report says which changes landed and which did not. A second SIGINT aborts at once (KeyboardInterrupt,
"Aborted."), as before.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from types import FrameType, TracebackType

MESSAGE = (
    b"\nInterrupted: finishing the batch in flight, then stopping (press Ctrl-C again to abort at once)\n"
)


class StopOnSigint:
    """A context manager; `arm()` installs the handler (main thread only), leaving restores the old one."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._previous: signal.Handlers | object | None = None
        self._armed = False

    def __enter__(self) -> StopOnSigint:
        return self

    def arm(self) -> None:
        if self._armed or threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(signal.SIGINT, self._handle)
        self._armed = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._event.is_set():
            raise KeyboardInterrupt
        self._event.set()
        with contextlib.suppress(OSError):
            os.write(2, MESSAGE)

    def is_set(self) -> bool:
        return self._event.is_set()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._armed:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]
            self._armed = False
