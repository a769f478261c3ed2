"""Cloudflare's client API rate limits: per user (or account-owned token), and per client IP.

Docs ``fundamentals/api/reference/limits.mdx`` (2026; cloudflare-docs PRs #20274, #20525 and #25269): "Client
API per user/account token: 1200/5 minutes", "Client API per IP: 200/second"; "The global rate limit for the
Cloudflare API is 1,200 requests per five minute period per user, and applies cumulatively regardless of
whether the request is made via the dashboard, API key, or API token. If you exceed this limit, all API calls
for the next five minutes will be blocked, receiving a HTTP 429". Over a limit the API answers ``429`` code
971 (facts #14).

Modelled as a fixed window per budget that starts at the budget's first request. A budget belongs to an
*owner*: the user tokens of one user (``owners``: token -> user) share one; a token not listed is its own
owner (an account-owned token, or a user's only token). The request that finds the budget spent starts a
block of ``block`` seconds (the window, five minutes, by default) during which every call of that owner is
refused; after it a new window starts. The per-IP limit is a second limiter keyed by the client's address,
whose block lasts until its window ends (the docs give no block for it).

Headers, as Cloudflare documents them since 2025-09 (changelog 2025-09-03 "Introducing new headers for rate
limiting on Cloudflare's API"; ``limits.mdx``: "The following headers are returned when calling REST APIs"),
after the IETF RateLimit header draft: ``Ratelimit: "default";r=<remaining>;t=<seconds until the window
resets>`` and ``Ratelimit-Policy: "default";q=<quota>;w=<window seconds>``; on a 429 also ``Retry-After``
(seconds, rounded up, "until more capacity is available"). Cloudflare documents no ``x-ratelimit-*`` headers
any more, so none are sent.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping

DEFAULT = (1200, 300.0)
PER_IP = (200, 1.0)


class RateLimiter:
    """Fixed windows per owner, with a block once a window's quota is spent."""

    def __init__(
        self,
        requests: int,
        window: float,
        block: float | None = None,
        owners: Mapping[str, str] | None = None,
        name: str = "default",
    ) -> None:
        self.requests = requests
        self.window = float(window)
        self.block = float(window if block is None else block)
        self.owners = dict(owners or {})
        self.name = name
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int, float]] = {}  # owner -> (start, used, blocked until)
        self.admitted: dict[str, int] = {}
        """Requests let through, by owner (for tests: whose budget a request was counted against)."""

    @property
    def enabled(self) -> bool:
        return self.requests > 0 and self.window > 0

    def configure(self, requests: int, window: float, block: float | None = None) -> None:
        with self._lock:
            self.requests, self.window = requests, float(window)
            self.block = float(window if block is None else block)
            self._windows.clear()

    def owner(self, key: str) -> str:
        """Whose budget a request made with `key` (a token, or an address) is counted against."""
        return self.owners.get(key, key)

    def hit(self, key: str) -> tuple[bool, dict[str, str]]:
        """Count one request; ``(allowed, headers)`` with the ``Ratelimit`` headers (and ``Retry-After``)."""
        owner = self.owner(key)
        with self._lock:
            now = time.monotonic()
            start, used, blocked = self._windows.get(owner, (now, 0, 0.0))
            if blocked and now >= blocked:  # the block is over: a new window
                start, used, blocked = now, 0, 0.0
            if now - start >= self.window:
                start, used = now, 0
            allowed = not blocked and used < self.requests
            if allowed:
                used += 1
                self.admitted[owner] = self.admitted.get(owner, 0) + 1
            elif not blocked:
                blocked = now + self.block
            self._windows[owner] = (start, used, blocked)
            reset = (blocked if blocked else start + self.window) - now
        return allowed, self._headers(0 if not allowed else self.requests - used, reset, allowed)

    def _headers(self, remaining: int, reset: float, allowed: bool) -> dict[str, str]:
        reset_s = str(max(1, math.ceil(round(max(0.0, reset), 6))))  # (now + w) - now is not always w
        headers = {
            "Ratelimit": f'"{self.name}";r={max(0, remaining)};t={reset_s}',
            "Ratelimit-Policy": f'"{self.name}";q={self.requests};w={math.ceil(self.window)}',
        }
        if not allowed:
            headers["Retry-After"] = reset_s
        return headers
