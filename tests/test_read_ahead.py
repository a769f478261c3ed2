"""The read-ahead (`zonesync.run.read_ahead`): the zone lookup and listings start before the zone files are
parsed, each request is made once, and only the first lookup and listing are answered from them."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from clirun import run
from emu_records import user_records

from zonesync.errors import ApiError
from zonesync.model import ZoneInfo
from zonesync.plan.model import LiveZone
from zonesync.run.read_ahead import ReadAhead, start


class Recording:
    """Stands for a provider: answers from memory and records each call."""

    def __init__(self, fail_lookup: bool = False) -> None:
        self.calls: list[str] = []
        self.gate = threading.Event()
        self.closed = False
        self.fail_lookup = fail_lookup
        self.ids = {"a.example": "id-a", "b.example": "id-b"}

    def find_zones(self, names: Sequence[str]) -> dict[str, ZoneInfo]:
        self.calls.append("lookup " + ",".join(sorted(names)))
        if self.fail_lookup:
            raise ApiError("token rejected")
        return {n: ZoneInfo(self.ids[n], n, "free") for n in names if n in self.ids}

    def list_records(self, zone: ZoneInfo) -> LiveZone:
        self.gate.wait(10)
        self.calls.append(f"list {zone.id}")
        return LiveZone(zone, (), ())

    def close(self) -> None:
        self.closed = True


def reads(provider: Recording, names: Sequence[str]) -> ReadAhead:
    return ReadAhead(provider, names)  # type: ignore[arg-type]  # a recording stand-in, not a provider


def test_each_read_is_made_once_and_answers_only_the_first_ask() -> None:
    provider = Recording()
    ahead = reads(provider, ["a.example", "b.example", "missing.example"])
    try:
        zones = ahead.find_zones(["missing.example", "b.example", "a.example"])  # same names, any order
        assert zones == {
            "a.example": ZoneInfo("id-a", "a.example", "free"),
            "b.example": ZoneInfo("id-b", "b.example", "free"),
        }
        provider.gate.set()
        assert ahead.list_records(zones["a.example"]).zone.id == "id-a"
        assert ahead.list_records(zones["b.example"]).zone.id == "id-b"
        assert sorted(provider.calls) == [
            "list id-a",
            "list id-b",
            "lookup a.example,b.example,missing.example",
        ]
        # Asked again (the re-read that settles an apply's unknown outcome): a fresh read, never the early one.
        ahead.list_records(zones["a.example"])
        ahead.find_zones(["a.example", "b.example", "missing.example"])
        assert provider.calls.count("list id-a") == 2
        assert provider.calls.count("lookup a.example,b.example,missing.example") == 2
    finally:
        ahead.close()
    assert provider.closed


def test_other_zones_or_another_zone_id_are_read_now() -> None:
    provider = Recording()
    provider.gate.set()
    ahead = reads(provider, ["a.example"])
    try:
        assert ahead.find_zones(["b.example"]) == {"b.example": ZoneInfo("id-b", "b.example", "free")}
        moved = ZoneInfo("id-a2", "a.example", "free")  # the name now belongs to another zone
        assert ahead.list_records(moved).zone.id == "id-a2"
    finally:
        ahead.close()
    assert provider.calls[0] == "lookup a.example"  # the early lookup still ran once
    assert "list id-a2" in provider.calls


def test_errors_of_the_reads_surface_where_their_answers_are_asked_for() -> None:
    provider = Recording(fail_lookup=True)
    ahead = reads(provider, ["a.example"])
    try:
        with pytest.raises(ApiError, match="token rejected"):
            ahead.find_zones(["a.example"])
    finally:
        ahead.close()
    assert provider.calls == ["lookup a.example"]  # no listing without a zone


def test_abandoned_reads_neither_wait_nor_close_the_provider() -> None:
    provider = Recording()  # the listing blocks on the gate, as a slow API would
    ahead = reads(provider, ["a.example"])
    deadline = time.monotonic() + 10
    while "lookup a.example" not in provider.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    ahead.abandon()
    assert time.monotonic() - started < 1
    assert not provider.closed  # a read in flight still uses it
    provider.gate.set()


def test_a_provider_that_cannot_open_now_means_no_read_ahead() -> None:
    from zonesync.errors import ZonesyncError

    def no_token() -> Recording:
        raise ZonesyncError("CLOUDFLARE_API_TOKEN is not set")

    assert start(["a.example"], no_token) is None  # type: ignore[arg-type]


def test_the_live_zone_is_read_while_the_zone_file_is_parsed(
    emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real CLI over HTTP: by the time the parse starts, the zone lookup has reached the API; the plan
    still makes the minimum requests (one lookup, one listing) and the same plan."""
    import zonesync.zonefile.load as load

    monkeypatch.chdir(tmp_path)
    (tmp_path / "zones").mkdir()
    path = tmp_path / "zones" / "example.com.yaml"
    path.write_text("zone: example.com\nttl: 300\nrecords:\n  www: {type: A, value: 192.0.2.1}\n")
    real = load.load_configs
    seen_before_parse: list[int] = []

    def parse_after_a_request(paths):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 10
        while emulator.stats()["total"] == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        seen_before_parse.append(emulator.stats()["total"])
        return real(paths)

    monkeypatch.setattr(load, "load_configs", parse_after_a_request)
    emulator.reset_stats()
    result = run("plan", path)
    assert result.exit_code == 0, result.output
    assert "1 to create" in result.output
    assert seen_before_parse and seen_before_parse[0] >= 1
    assert emulator.stats()["by_route"] == {"GET /zones": 1, "GET /zones/:id/dns_records": 1}
    assert user_records(emulator, "example.com") == []
