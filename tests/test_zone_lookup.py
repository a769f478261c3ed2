"""Zone lookup costs min(zones wanted, pages of the account's zone list) requests, for any account shape.

Counted by the emulator (the real SDK over HTTP on loopback): behaviour, not timing."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from zonesync.cloudflare.provider import ZONES_PER_PAGE, CloudflareProvider, lookup_by_pages
from zonesync.emulator.server import Emulator

ACCOUNT = [f"zone{i:04d}.example" for i in range(1000)]
PAGES = math.ceil(len(ACCOUNT) / ZONES_PER_PAGE)  # 20


@pytest.fixture(scope="module")
def account() -> Iterator[Emulator]:
    emu = Emulator(tokens=("test-token",), zones=tuple(ACCOUNT), rate_limit=0).start()
    try:
        yield emu
    finally:
        emu.stop()


def lookups(emu: Emulator, names: list[str]) -> tuple[dict[str, str], int]:
    provider = CloudflareProvider("test-token", base_url=emu.url, max_retries=0)
    emu.reset_stats()
    try:
        found = provider.find_zones(names)
    finally:
        provider.close()
    stats = emu.stats()
    assert set(stats["by_route"]) <= {"GET /zones"}
    return {name: info.id for name, info in found.items()}, stats["total"]


def spread(count: int) -> list[str]:
    """`count` zones spread evenly over the account (the first one is on the list's first page)."""
    return [ACCOUNT[i * len(ACCOUNT) // count] for i in range(count)]


@pytest.mark.parametrize("count", [1, 3, 19, 20, 100, 1000])
def test_lookup_costs_the_minimum(account: Emulator, count: int) -> None:
    names = spread(count)
    found, requests = lookups(account, names)
    assert sorted(found) == sorted(names)
    assert all(found[n] == account.store.zone_by_name[n].id for n in names)
    assert requests == min(count, PAGES)


def test_zones_absent_from_the_first_page_cost_one_probe_more(account: Emulator) -> None:
    """The one request that can be wasted: the first page, when it holds none of the few zones wanted."""
    names = ACCOUNT[-3:]
    found, requests = lookups(account, names)
    assert sorted(found) == names
    assert requests == 1 + 3


def test_a_missing_zone_is_simply_not_found(account: Emulator) -> None:
    found, requests = lookups(account, [ACCOUNT[0], "absent.example"])
    assert sorted(found) == [ACCOUNT[0]]
    assert requests == 2  # page 1, then one filtered lookup (cheaper than 19 pages)


def test_small_account_is_one_page(emulator: Emulator) -> None:
    for name in ("b.example", "c.example"):
        emulator.add_zone(name)
    found, requests = lookups(emulator, ["example.com", "b.example", "c.example"])
    assert sorted(found) == ["b.example", "c.example", "example.com"]
    assert requests == 1


@pytest.mark.parametrize(
    ("missing", "pages_left", "by_pages"), [(2, 19, False), (19, 19, True), (99, 19, True), (1, 0, True)]
)
def test_lookup_by_pages_picks_the_fewer_requests(missing: int, pages_left: int, by_pages: bool) -> None:
    assert lookup_by_pages(missing, pages_left) is by_pages
