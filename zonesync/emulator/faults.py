"""Injected failures for tests and benchmarks: a status/code answered instead of the real one.

A fault matches by HTTP method (``None`` = any) and a regular expression searched in the request path.
``times=N`` fails the next N matching requests; ``every=N`` fails every Nth matching request (with ``times``
too, at most ``times`` of them). Without either, one request fails.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from . import errors

DEFAULT_CODES = {429: (errors.RATE_LIMITED, errors.RATE_LIMITED_MSG)}


@dataclass
class Fault:
    status: int = 500
    code: int | None = None
    message: str | None = None
    method: str | None = None
    path_pattern: str = ""
    times: int | None = None
    every: int | None = None
    retry_after: float | None = None
    seen: int = 0
    fired: int = 0
    _regex: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.times is None and self.every is None:
            self.times = 1
        self.method = self.method.upper() if self.method else None
        self._regex = re.compile(self.path_pattern or "")

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def error(self) -> errors.ApiError:
        code, message = DEFAULT_CODES.get(self.status, (errors.INTERNAL, errors.INTERNAL_MSG))
        headers = {}
        if self.retry_after is not None:
            headers["retry-after"] = f"{self.retry_after:g}"
        elif self.status == 429:
            headers["retry-after"] = "1"
        return errors.ApiError(
            self.status,
            self.code if self.code is not None else code,
            self.message or message,
            headers=headers,
        )


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, **kwargs: Any) -> Fault:
        fault = Fault(**kwargs)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def check(self, method: str, path: str) -> errors.ApiError | None:
        """The error to answer for this request, if an armed fault matches it."""
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or (fault.method and fault.method != method):
                    continue
                if not fault._regex.search(path):
                    continue
                fault.seen += 1
                if fault.every and fault.seen % fault.every:
                    continue
                fault.fired += 1
                return fault.error()
            self._faults = [f for f in self._faults if not f.exhausted]
        return None
