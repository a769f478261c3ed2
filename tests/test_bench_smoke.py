"""The benchmark harness, tiny: zonesync only, no added latency, a few hundred records.

A benchmark is a measurement, not a test; this only keeps the harness working and checks the one thing
that must hold at any size: zonesync makes exactly the minimum number of API requests Cloudflare allows
(zone lookup, ceil(records / page size) listings, ceil(changes / batch limit) batch writes), and the
zone holds the desired records afterwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not installed: run from the tree

from bench import scenarios
from bench.minimum import ZoneLoad, minimum_requests
from bench.scenarios import Settings
from bench.zonedata import ChangeMix, desired_after, make_records

pytest.importorskip("zonesync.emulator.server")


def _settings(tmp_path: Path, **kwargs: object) -> Settings:
    return Settings(workdir=tmp_path, latency=0.0, octodns=False, rate_limited="skip", **kwargs)  # type: ignore[arg-type]


def _by_step(rows: list[scenarios.Row]) -> dict[str, scenarios.Row]:
    return {f"{r.scenario}/{r.step}/{r.tool}": r for r in rows}


def test_minimum_formula() -> None:
    assert minimum_requests([ZoneLoad(10_000)], 200) == 2  # zone lookup + one listing
    assert minimum_requests([ZoneLoad(10_000, 1_000)], 200, apply=True) == 7  # + 5 batches of 200
    # one batch: the zone lock is taken and left free in that same batch
    assert minimum_requests([ZoneLoad(10_000, 1_000)], 3_500, apply=True) == 3
    # 200 zones: the zone list in 4 pages of 50 beats 200 filtered lookups
    assert minimum_requests([ZoneLoad(50, 5)] * 200, 200, account_zones=200, apply=True) == 4 + 200 + 200


def test_change_mix_is_exact() -> None:
    base = make_records(200)
    mix = ChangeMix.split(20)
    want = desired_after(base, mix)
    assert (mix.creates, mix.updates, mix.deletes) == (8, 6, 6)
    assert len(want) == 200 - mix.deletes + mix.creates
    changed = {(r.name, r.value) for r in want} ^ {(r.name, r.value) for r in base}
    assert len({name for name, _ in changed}) == mix.total


def test_plan_and_apply_at_the_minimum(tmp_path: Path) -> None:
    # batch size 7 so that 20 changes take ceil(20 / 7) = 3 batch requests; the floor script alongside
    s = _settings(tmp_path, records=200, changes=20, batch_size=7, runs=2)
    rows = _by_step(scenarios.big_zone_unchanged(s) + scenarios.big_zone(s))
    for tool in ("zonesync", "floor"):
        assert (
            rows[f"1/plan/{tool}"].ok
            and rows[f"1/plan/{tool}"].requests == rows[f"1/plan/{tool}"].minimum == 2
        )
        assert len(rows[f"1/plan/{tool}"].walls) == 2  # a fresh emulator per run
        assert rows[f"2/plan/{tool}"].ok and rows[f"2/plan/{tool}"].requests == 2
        apply = rows[f"2/apply/{tool}"]
        assert apply.ok, apply.note  # ok includes: the zone now holds exactly the desired records
        assert apply.requests == apply.minimum == 2 + 3
        assert apply.by_route.get("POST /zones/:id/dns_records/batch") == 3


def test_many_zones_at_the_minimum(tmp_path: Path) -> None:
    s = _settings(tmp_path, zones=3, zone_records=10, zone_changes=5)
    rows = _by_step(scenarios.many_zones(s))
    plan, apply = rows["3/plan/zonesync"], rows["3/apply/zonesync"]
    assert plan.ok and plan.requests == plan.minimum == 1 + 3  # one zone-list page, 3 listings
    assert apply.ok, apply.note
    assert apply.requests == apply.minimum == 1 + 3 + 3  # each zone: one batch, the lock inside it


def test_account_larger_than_the_repository(tmp_path: Path) -> None:
    """Zone lookups cost min(zones wanted, pages of the account's zone list)."""
    s = _settings(tmp_path, account=120, account_syncs=(1, 3, 120), account_records=2)
    rows = _by_step(scenarios.account_shapes(s))
    for count, lookups in ((1, 1), (3, 3), (120, 3)):  # 120 zones: 3 pages of 50
        row = rows[f"5-{count}/plan {count:,} of 120 zones/zonesync"]
        assert row.ok, row.note
        assert row.requests <= row.minimum == lookups + count


def test_thousands_of_zones_paced_without_429(tmp_path: Path) -> None:
    s = _settings(tmp_path, thousands=60, thousands_records=2, thousands_window=1.0)
    (row,) = scenarios.thousands(s)
    assert row.ok, row.note
    assert row.requests == row.minimum == 2 + 60  # 2 zone-list pages, 60 listings
    assert row.extra["refused"] == 0


def test_startup_profile_reads_importtime(tmp_path: Path) -> None:
    row = scenarios.startup_profile(_settings(tmp_path))
    assert row.extra["sdk_import_s"] > 0 and row.extra["own_imports_s"] > 0
    # click is imported by the command line before the SDK, and by the SDK itself (httpx's CLI): counted as
    # the SDK's import, not zonesync's own start-up
    assert row.extra["shared_with_sdk_s"] > 0
    assert row.extra["own_net_s"] == round(row.extra["own_s"] - row.extra["shared_with_sdk_s"], 3)
    assert "zonesync.cli" in row.extra["zonesync_modules"]


def test_verify_scenario_rows_and_target(tmp_path: Path) -> None:
    """Scenario "verify": the run succeeds, each question is asked once, the target line reads the row."""
    from bench import verify_dns

    row = verify_dns.measure(20, True, 0.0, 1, tmp_path)
    assert row.ok, row.note
    assert row.requests == 12 + 20 + 3  # the maddy zone's 12, one per record, l1..l3
    assert len(row.walls) == len(row.extra["no_delay_walls"]) == 1
    name, _met, detail = verify_dns.target(row)
    assert "chain of dependent lookups" in name and "chain 5 x 0 ms" in detail


def test_the_bench_refuses_an_installed_zonesync_other_than_the_checkout(monkeypatch) -> None:
    """`make bench` times a regular install: one whose modules differ from the checkout's (a stale
    install) stops the bench; the same modules pass; no module recorded means an editable install."""
    import base64
    import hashlib
    from importlib import metadata
    from types import SimpleNamespace

    from bench import cli as bench_cli

    class File(SimpleNamespace):
        def __str__(self) -> str:
            return self.path

    def record(path: str, data: bytes) -> File:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        return File(parts=tuple(path.split("/")), suffix=".py", hash=SimpleNamespace(value=digest), path=path)

    ours = sorted((bench_cli.CHECKOUT / "zonesync").rglob("*.py"))
    same = [record(str(p.relative_to(bench_cli.CHECKOUT)), p.read_bytes()) for p in ours]

    def installed(files):
        monkeypatch.setattr(metadata, "distributions", lambda **kw: iter([SimpleNamespace(files=files)]))

    installed(same)
    assert bench_cli.installed_zonesync() == "regular"
    installed([*same[:-1], record(same[-1].path, b"# other code\n")])
    with pytest.raises(SystemExit, match="is not this checkout"):
        bench_cli.installed_zonesync()
    installed(same[1:])  # a module the install lacks
    with pytest.raises(SystemExit, match="is not this checkout"):
        bench_cli.installed_zonesync()
    installed([])
    assert bench_cli.installed_zonesync() == "editable"
