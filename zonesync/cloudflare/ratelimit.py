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

That window only knows this run's requests. Cloudflare also says what is left of the token's budget on every
answer (`Ratelimit: "default";r=50;t=30`, `Ratelimit-Policy: "default";q=1200;w=300`, after the IETF
RateLimit header draft; Cloudflare changelog 2025-09-03), which counts every client of the token: another
pipeline, the dashboard. The limiter reads it (`observe`) and, once less than half the quota is left, spaces
requests so that what is left lasts until the window resets, keeping a small reserve. Two runs started at
once then both slow down as the shared budget shrinks, and neither is refused.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
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


PACE_BELOW = 0.5
"""Requests are spaced out once less than this share of the server's quota is left."""
RESERVE_SHARE = 0.01
"""Requests of each window left to other clients of the token (at least 2), never spent by this run."""


@dataclass(frozen=True)
class Budget:
    """What the server says is left: `remaining` requests for `reset` more seconds, of `quota` a window."""

    remaining: int
    reset: float
    quota: int | None = None


def _items(value: str) -> list[tuple[str, dict[str, str]]]:
    """Items of a structured-field list (RFC 8941) as (name, parameters): `"default";r=50;t=30, ...`."""
    out = []
    for item in value.split(","):
        name, *params = (part.strip() for part in item.split(";"))
        pairs = dict(p.split("=", 1) for p in params if "=" in p)
        out.append((name.strip('"'), {k.strip().lower(): v.strip() for k, v in pairs.items()}))
    return out


def _int(text: str | None) -> int | None:
    try:
        return int(float(text)) if text is not None else None
    except ValueError:
        return None


def parse_budget(ratelimit: str | None, policy: str | None = None) -> Budget | None:
    """The tightest item of a `Ratelimit` header (with its quota from `Ratelimit-Policy`), or None when
    there is none or it is malformed (then the local window alone applies)."""
    if not ratelimit:
        return None
    quotas = {name: _int(p.get("q")) for name, p in _items(policy or "")}
    best: Budget | None = None
    for name, params in _items(ratelimit):
        remaining, reset = _int(params.get("r")), _int(params.get("t"))
        if remaining is None or reset is None or remaining < 0 or reset < 0:
            continue
        budget = Budget(
            remaining, float(reset), quotas.get(name) or min(filter(None, quotas.values()), default=None)
        )
        if best is None or budget.remaining < best.remaining:
            best = budget
    return best


class RateLimiter:
    """Thread-safe sliding-window limiter: `acquire()` blocks until one more request fits, in this run's
    window and in what the server last said is left of the token's budget (`observe`)."""

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
        self._remaining = 0
        self._reset_at = 0.0  # the server's budget is known until then (our clock, never early)
        self._quota: int | None = None
        self._outstanding = 0  # requests sent whose answer has not been observed yet
        self._last_start = float("-inf")

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._starts and now - self._starts[0] >= self.window:
                    self._starts.popleft()
                if len(self._starts) >= self.rate.requests:
                    delay = self._starts[0] + self.window - now
                else:
                    delay = self._server_delay(now)
                if delay <= 0:
                    self._starts.append(now)
                    self.acquired += 1
                    self._outstanding += 1
                    self._last_start = now
                    return
                self.waited += delay
            self._sleep(max(delay, 0.001))

    __call__ = acquire

    def _server_delay(self, now: float) -> float:
        """Seconds to wait for the server's budget: none while half the quota is left; then spaced so the
        rest lasts until the reset; nothing beyond the reserve."""
        if now >= self._reset_at:
            return 0.0
        quota = self._quota or self.rate.requests
        left = self._remaining - self._outstanding
        reserve = max(2, math.ceil(quota * RESERVE_SHARE))
        if left >= quota * PACE_BELOW:
            return 0.0
        until_reset = self._reset_at - now
        if left <= reserve:
            return until_reset
        return self._last_start + until_reset / (left - reserve) - now

    def observe(self, headers: Mapping[str, str]) -> None:
        """An answer arrived: take the server's `Ratelimit` budget from its headers (Retry-After on a 429
        means nothing is left until then)."""
        budget = parse_budget(headers.get("ratelimit"), headers.get("ratelimit-policy"))
        retry = _int(headers.get("retry-after"))
        if budget is None and retry is not None:
            budget = Budget(0, float(retry))
        with self._lock:
            self._outstanding = max(0, self._outstanding - 1)
            if budget is None:
                return
            now = self._clock()
            quota = budget.quota or self._quota or self.rate.requests
            reset_at = now + budget.reset  # never before the server's reset: `t` is rounded up
            new_window = (
                now >= self._reset_at
                or reset_at > self._reset_at + 1  # later than rounding explains
                or budget.remaining > self._remaining + quota // 2  # the count went back up
            )
            if new_window:
                self._remaining, self._reset_at = budget.remaining, reset_at
            else:  # the same window, answers out of order: the lowest count and the earliest reset are newest
                self._remaining = min(self._remaining, budget.remaining)
                self._reset_at = min(self._reset_at, reset_at)
            if retry is not None:
                self._remaining, self._reset_at = 0, max(self._reset_at, now + retry)
            self._quota = budget.quota or self._quota


def from_setting(spec: str | None) -> RateLimiter | None:
    """The run's limiter from an option/env value (None: the default); None when turned off."""
    from zonesync.errors import ZonesyncError

    try:
        rate = parse(spec if spec else DEFAULT)
    except ValueError as exc:
        raise ZonesyncError(f"--rate-limit / {ENV}: {exc}") from None
    return RateLimiter(rate) if rate else None
