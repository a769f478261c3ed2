"""The early reads (`zonesync.run.early_reads`): each request made once, in order."""

from __future__ import annotations

import threading
from typing import NamedTuple

from zonesync.run.early_reads import LiveReads


class Zone(NamedTuple):
    name: str
    id: str


class Provider:
    """Stands for CloudflareProvider: records the calls, answers from memory."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gate = threading.Event()

    def find_zones(self, names):
        self.calls.append("lookup")
        return {name: Zone(name, f"id-{name}") for name in names if name != "missing.example"}

    def list_records(self, zone):
        self.gate.wait(10)
        self.calls.append(f"list {zone.id}")
        return f"records of {zone.id}"


def test_reads_start_at_once_and_each_is_made_once() -> None:
    provider = Provider()
    reads = LiveReads(provider, ["a.example", "b.example", "missing.example"])  # type: ignore[arg-type]
    try:
        zones = reads.zones()
        assert zones == {
            "a.example": Zone("a.example", "id-a.example"),
            "b.example": Zone("b.example", "id-b.example"),
        }
        provider.gate.set()
        assert reads.live(zones["a.example"]) == "records of id-a.example"  # type: ignore[arg-type]
    finally:
        reads.close()
    assert sorted(provider.calls) == ["list id-a.example", "list id-b.example", "lookup"]
