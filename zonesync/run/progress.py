"""How far a long run is: zones done of the total, API requests made, the rate, and an estimate of the time
left. Counted from the orchestration's and the HTTP client's callbacks (any thread); formatted as one line.
Shown by the command layer (`zonesync.cli.progress`), on a terminal only: this module prints nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from zonesync.base.plural import duration


def format_line(
    verb: str, done: int, total: int, requests: int, elapsed: float, phase: float | None = None
) -> str:
    """`planning 1,200/5,000 zones · 1,240 requests (59/s) · 1m05s left`: the rate over the whole run, the
    estimate from this phase's pace (`phase` seconds since it started; default: the whole run); the elapsed
    time instead before the first zone is done and after the last."""
    parts = [f"{verb} {done:,}/{total:,} zone{'' if total == 1 else 's'}"]
    rate = f" ({requests / elapsed:.0f}/s)" if elapsed >= 1 else ""
    parts.append(f"{requests:,} request{'' if requests == 1 else 's'}{rate}")
    pace = elapsed if phase is None else phase
    parts.append(f"{duration(pace / done * (total - done))} left" if 0 < done < total else duration(elapsed))
    return " · ".join(parts)


class Progress:
    """Thread-safe counters of one run."""

    def __init__(self, verb: str, total: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.verb = verb
        self.total = total
        self.done = 0
        self.requests = 0
        self._clock = clock
        self._start = self._phase = clock()
        self._lock = threading.Lock()

    def request(self) -> None:
        with self._lock:
            self.requests += 1

    def zone_done(self) -> None:
        with self._lock:
            self.done += 1

    def phase(self, verb: str, total: int) -> None:
        """A new phase of the same run (applying after planning): zones counted again, requests go on."""
        with self._lock:
            self.verb, self.total, self.done, self._phase = verb, total, 0, self._clock()

    def line(self) -> str:
        with self._lock:
            now = self._clock()
            return format_line(
                self.verb, self.done, self.total, self.requests, now - self._start, now - self._phase
            )
