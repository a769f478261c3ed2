"""Safety thresholds (zonesync.plan.safety): pure checks on a plan, octoDNS-like defaults, max_changes."""

from __future__ import annotations

import pytest

from zonesync.errors import UnsafePlanError, ZoneFileError
from zonesync.model import Record
from zonesync.plan import safety
from zonesync.plan.model import Change, SkippedRecord, ZonePlan
from zonesync.zonefile.load import load_zone_file

ZONE = "example.com"


def rec(i: int, value: str = "192.0.2.1", rid: str | None = None) -> Record:
    return Record(f"h{i}.{ZONE}", "A", value, 3600, False, id=rid or f"id{i}")


def zone_plan(live: int, deletes: int = 0, updates: int = 0, creates: int = 0, **kw) -> ZonePlan:
    changes = [Change("delete", before=rec(i)) for i in range(deletes)]
    changes += [Change("update", rec(100 + i), rec(100 + i, "192.0.2.2")) for i in range(updates)]
    changes += [Change("create", after=rec(200 + i, rid="")) for i in range(creates)]
    return ZonePlan(ZONE, "zones/example.com.yaml", "zid", tuple(changes), live, "sha256:x", **kw)


def config(body: str):
    return load_zone_file("zones/example.com.yaml", f"zone: {ZONE}\n{body}")


@pytest.mark.parametrize(
    ("live", "deletes", "updates", "unsafe"),
    [
        (10, 3, 0, False),  # exactly 30%: allowed (octoDNS refuses only above the threshold)
        (10, 4, 0, True),
        (10, 0, 4, True),
        (10, 3, 3, False),  # updates and deletes are counted separately
        (9, 9, 9, False),  # zones under 10 records are never refused by percentage
        (100, 31, 0, True),
        (100, 0, 0, False),
    ],
)
def test_default_thresholds(live: int, deletes: int, updates: int, unsafe: bool) -> None:
    problem = safety.check(zone_plan(live, deletes, updates))
    assert (problem is not None) == unsafe, problem


def test_creates_never_trip_and_message_names_zone_and_cause() -> None:
    assert safety.check(zone_plan(10, creates=500)) is None
    problem = safety.check(zone_plan(12, deletes=5))
    assert problem is not None
    assert problem.startswith("example.com: unsafe plan: 5 of 12 existing records would be deleted")
    assert "42% > 30% limit" in problem and "--force" in problem and "max_changes" in problem


def test_force_waives_thresholds() -> None:
    assert safety.check(zone_plan(10, deletes=10), force=True) is None


def test_skipped_and_ignored_records_are_not_the_base() -> None:
    skipped = tuple(SkippedRecord(f"r{i}.{ZONE}", "A", "1.1.1.1", "read only") for i in range(20))
    # 24 live, 20 of them skipped: 4 managed, so 4 deletes are never refused by percentage
    assert safety.check(zone_plan(24, deletes=4, skipped=skipped)) is None
    assert safety.check(zone_plan(30, deletes=4, ignored=10)) is None  # 20 managed: 20%
    assert safety.check(zone_plan(30, deletes=7, ignored=10)) is not None  # 35%


def test_never_delete_what_zonesync_cannot_recreate_even_forced() -> None:
    odd = Record(f"x.{ZONE}", "HINFO", '"PC" "Linux"', id="i")
    zp = ZonePlan(ZONE, "z.yaml", "zid", (Change("delete", before=odd),), 1, "sha256:x")
    problem = safety.check(zp, force=True)
    assert problem is not None and "could not recreate" in problem


@pytest.mark.parametrize(
    ("setting", "update", "delete", "min_records"),
    [
        ("50%", "50%", "50%", 10),
        ("20", "20", "20", 10),
        ("off", "off", "off", 10),
        ("false", "off", "off", 10),
        ("{update: 50%, delete: 5, min_records: 20}", "50%", "5", 20),
        ("{delete: 0}", "30%", "0", 10),
    ],
)
def test_max_changes_settings(setting: str, update: str, delete: str, min_records: int) -> None:
    limits = safety.limits_for(config(f"max_changes: {setting}\n"))
    assert (str(limits.update), str(limits.delete), limits.min_records) == (update, delete, min_records)
    assert limits.source == "zones/example.com.yaml:2"
    assert safety.Limits.from_json(limits.to_json()) == limits


def test_max_changes_counts_apply_to_small_zones_too() -> None:
    limits = safety.limits_for(config("max_changes: {delete: 0}\n"))
    problem = safety.check(zone_plan(3, deletes=1), limits)
    assert problem is not None and "1 deletes exceed the limit of 0" in problem
    assert "max_changes at zones/example.com.yaml:2" in problem
    assert safety.check(zone_plan(3, updates=1), limits) is None
    off = safety.limits_for(config("max_changes: off\n"))
    assert safety.check(zone_plan(10, deletes=10), off) is None


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("lots", "must be a count (20), a percentage (50%) or off"),
        ("150%", "more than 100%"),
        ("-3", "must not be negative"),
        ("true", "not true"),
        ("{deletes: 5}", "unknown key 'deletes'"),
        ("{min_records: x}", "must be a number"),
    ],
)
def test_bad_max_changes_names_file_and_line(setting: str, message: str) -> None:
    with pytest.raises(ZoneFileError) as err:
        safety.limits_for(config(f"ttl: 300\nmax_changes: {setting}\n"))
    assert "zones/example.com.yaml:3" in str(err.value) and message in str(err.value)


def test_enforce_lists_every_unsafe_zone_and_exits_4() -> None:
    items = [(zone_plan(10, deletes=5), safety.DEFAULT), (zone_plan(10, deletes=1), safety.DEFAULT)]
    with pytest.raises(UnsafePlanError) as err:
        safety.enforce(items)
    assert err.value.exit_code == 4
    assert err.value.message.count("unsafe plan") == 1 and "Nothing was applied" in err.value.message
    safety.enforce(items, force=True)


def test_validate_checks_max_changes_offline(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from zonesync.cli import cli

    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    path = tmp_path / "example.com.yaml"
    path.write_text("zone: example.com\nmax_changes: lots\n")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: max_changes: must be a count (20), a percentage (50%) or off" in result.output
    path.write_text("zone: example.com\nmax_changes: 10%\n")
    assert CliRunner().invoke(cli, ["validate", str(path)]).exit_code == 0
