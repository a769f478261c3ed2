"""Counts and durations in messages: "1 record", "2 records", "1 batch request", "3m05s"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and `noun`, the noun in the plural (default: with an `s`) unless `n` is 1; thousands are
    separated with commas (`10,000 records`)."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def duration(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m`."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"
