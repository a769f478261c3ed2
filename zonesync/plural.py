"""Counted nouns in messages: "1 record", "2 records", "1 batch request"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and `noun`, the noun in the plural (default: with an `s`) unless `n` is 1; thousands are
    separated with commas (`10,000 records`)."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
