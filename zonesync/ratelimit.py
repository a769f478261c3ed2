"""A client-side rate limiter shared by every zone of a run, so concurrent zones stay under Cloudflare's
API limit instead of collecting 429s.

Cloudflare allows 1,200 requests per five minutes per user (developers.cloudflare.com/fundamentals/api/
reference/limits/); the limit applies to the token's user across all zones, so one limiter serves the
whole run. The limiter is a sliding-window log: a request may start only when fewer than `requests`
requests started in the last `window` seconds. The window is stretched by a small slack so that network
jitter between our clock (request sent) and Cloudflare's (request received) cannot push a burst into one
server-side window. It is called from the HTTP client's request hook, so SDK retries count too.

Configure with `--rate-limit N/SECONDS` or ZONESYNC_RATE_LIMIT (e.g. `1200/300`, the default; `off`
disables it).
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

ENV = "ZONESYNC_RATE_LIMIT"
DEFAULT = "1200/300"
"""Cloudflare's global API rate limit: 1,200 requests per 5 minutes."""

_SPEC = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d+(?:\.\d+)?)\s*(s|m)?)?\s*$")


@dataclass(frozen=True)
class Rate:
    requests: int
    window: float  # seconds

    def __str__(self) -> str:
        return f"{self.requests}/{self.window:g}s"


def parse(spec: str) -> Rate | None:
    """'1200/300' (per 300 s), '60/5s', '1200/5m', '100' (per second); 'off', 'none' or '0' -> None."""
    text = spec.strip().lower()
    if text in ("off", "none", "0", "unlimited"):
        return None
    m = _SPEC.match(text)
    if not m:
        raise ValueError(
            f"rate limit {spec!r} is not REQUESTS/SECONDS (like 1200/300, 60/5s or 1200/5m) or 'off'"
        )
    requests = int(m.group(1))
    window = float(m.group(2)) if m.group(2) else 1.0
    if m.group(3) == "m":
        window *= 60
    if requests < 1 or window <= 0:
        raise ValueError(f"rate limit {spec!r}: need at least 1 request in a window longer than 0 s")
    return Rate(requests, window)


class RateLimiter:
    """Thread-safe sliding-window limiter: `acquire()` blocks until one more request fits."""

    def __init__(
        self,
        rate: Rate,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        slack: float | None = None,
    ) -> None:
        self.rate = rate
        self.window = rate.window + (slack if slack is not None else min(1.0, 0.02 * rate.window) + 0.05)
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0
        self.acquired = 0

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._starts and now - self._starts[0] >= self.window:
                    self._starts.popleft()
                if len(self._starts) < self.rate.requests:
                    self._starts.append(now)
                    self.acquired += 1
                    return
                delay = self._starts[0] + self.window - now
                self.waited += delay
            self._sleep(max(delay, 0.001))

    __call__ = acquire


def from_setting(spec: str | None) -> RateLimiter | None:
    """The run's limiter from an option/env value (None: the default); None when turned off."""
    from zonesync.errors import ZonesyncError

    try:
        rate = parse(spec if spec else DEFAULT)
    except ValueError as exc:
        raise ZonesyncError(f"--rate-limit / {ENV}: {exc}") from None
    return RateLimiter(rate) if rate else None
