"""Per-token request rate limit, like Cloudflare's client API limit (facts #14, #14b).

Docs ``fundamentals/api/reference/limits.mdx``: 1,200 requests per 5 minutes per token; over the limit the
API answers ``429`` code 971. Modelled as a fixed window per token that starts at the token's first request;
once exceeded, requests are refused until the window ends.

Headers, as Cloudflare documents them since 2025-09 (changelog 2025-09-03 "Introducing new headers for rate
limiting on Cloudflare's API", and ``limits.mdx`` as updated by cloudflare-docs PR #25269, 2025-09-18), after
the IETF RateLimit header draft: on every answer ``Ratelimit: "default";r=<remaining>;t=<seconds until the
window resets>`` and ``Ratelimit-Policy: "default";q=<quota>;w=<window seconds>``; on a 429 also
``Retry-After`` (seconds, rounded up). Cloudflare documents no ``x-ratelimit-*`` headers any more, so none
are sent.
"""

from __future__ import annotations

import math
import threading
import time

DEFAULT = (1200, 300.0)


class RateLimiter:
    def __init__(self, requests: int, window: float) -> None:
        self.requests = requests
        self.window = float(window)
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    @property
    def enabled(self) -> bool:
        return self.requests > 0 and self.window > 0

    def configure(self, requests: int, window: float) -> None:
        with self._lock:
            self.requests, self.window = requests, float(window)
            self._windows.clear()

    def hit(self, token: str) -> tuple[bool, dict[str, str]]:
        """Count one request; ``(allowed, headers)`` with the ``Ratelimit`` headers (and ``Retry-After``)."""
        with self._lock:
            now = time.monotonic()
            start, used = self._windows.get(token, (now, 0))
            if now - start >= self.window:
                start, used = now, 0
            allowed = used < self.requests
            if allowed:
                used += 1
            self._windows[token] = (start, used)
            reset = max(0.0, start + self.window - now)
        reset_s = str(max(1, math.ceil(reset)))
        remaining = max(0, self.requests - used)
        headers = {
            "Ratelimit": f'"default";r={remaining};t={reset_s}',
            "Ratelimit-Policy": f'"default";q={self.requests};w={math.ceil(self.window)}',
        }
        if not allowed:
            headers["Retry-After"] = reset_s
        return allowed, headers
