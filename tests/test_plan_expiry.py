"""Saved-plan expiry (issue 21, item 3): a plan carries its creation time and expiry inside the signed
body; `apply PLAN.json` refuses it once expired, or when it claims to be made in the future."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import httpx
import jsonschema
import pytest
from clirun import run
from emu_records import user_records

from zonesync.errors import StalePlanError
from zonesync.plan import document as json_render
from zonesync.plan import expiry, saved_plan
from zonesync.plan.model import Plan

ZONE = "example.com"
KEY = "k" * 40
SCHEMA = json.loads((Path(saved_plan.__file__).parent.parent / "schemas" / "plan.schema.json").read_text())
T0 = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC


@pytest.fixture
def workdir(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NO_COLOR", "1")
    return workdir


def empty_doc() -> dict:
    return json_render.document(Plan(()))


# -- pure -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"), [("72h", 259200), ("30m", 1800), ("3d", 259200), ("90s", 90), ("3600", 3600)]
)
def test_durations(text: str, seconds: int) -> None:
    assert expiry.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "72", "h", "-1h", "1.5h", "72 hours", "0s", "91d", "1w", "1h\x1b[2J"])
def test_bad_durations_are_one_clear_error(text: str) -> None:
    if text == "72":  # a bare number is seconds: valid
        assert expiry.parse_duration(text) == 72
        return
    with pytest.raises(expiry.BadDurationError) as exc:
        expiry.parse_duration(text, "--expires-in")
    assert str(exc.value).startswith("--expires-in: ") and "\n" not in str(exc.value)
    assert "\x1b" not in str(exc.value)


def test_stamp_and_check_with_an_injected_clock() -> None:
    doc = saved_plan.seal(empty_doc(), KEY, now=T0, ttl=3600)
    assert (doc["created"], doc["expires"]) == ("2027-01-15T08:00:00Z", "2027-01-15T09:00:00Z")
    jsonschema.validate(doc, SCHEMA)
    saved_plan.parse(doc, "p.json", KEY, now=T0)
    saved_plan.parse(doc, "p.json", KEY, now=T0 + 3599)
    with pytest.raises(StalePlanError) as exc:
        saved_plan.parse(doc, "p.json", KEY, now=T0 + 3600)
    assert str(exc.value) == (
        "p.json: the plan expired at 2027-01-15 09:00:00 UTC (made 2027-01-15 08:00:00 UTC): run "
        "`zonesync plan --out` again and review the new plan"
    )
    assert exc.value.exit_code == 3


def test_default_lifetime_is_72_hours() -> None:
    doc = saved_plan.seal(empty_doc(), now=T0)
    assert expiry.read_time(doc["expires"]) - expiry.read_time(doc["created"]) == 72 * 3600
    saved_plan.parse(doc, "p.json", now=T0 + 72 * 3600 - 1)
    with pytest.raises(StalePlanError, match="expired at 2027-01-18 08:00:00 UTC"):
        saved_plan.parse(doc, "p.json", now=T0 + 72 * 3600)


def test_resealing_keeps_the_expiry() -> None:
    doc = saved_plan.seal(empty_doc(), now=T0, ttl=60)
    again = saved_plan.seal(doc, now=T0 + 10_000)
    assert (again["created"], again["expires"]) == (doc["created"], doc["expires"])


def test_made_in_the_future_beyond_the_skew_is_refused() -> None:
    doc = saved_plan.seal(empty_doc(), now=T0 + expiry.SKEW, ttl=3600)
    saved_plan.parse(doc, "p.json", now=T0)  # within the skew
    doc = saved_plan.seal(empty_doc(), now=T0 + expiry.SKEW + 1, ttl=3600)
    with pytest.raises(
        StalePlanError, match=r"later than this machine's clock .* check both machines' clocks"
    ):
        saved_plan.parse(doc, "p.json", now=T0)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.pop("expires"),
        lambda d: d.pop("created"),
        lambda d: d.update(expires="tomorrow"),
        lambda d: d.update(expires=4102444800),
        lambda d: d.update(expires=d["created"]),  # expires must come after created
    ],
)
def test_missing_or_malformed_times_are_refused(edit) -> None:
    doc = saved_plan.seal(empty_doc(), now=T0)
    body = {k: v for k, v in doc.items() if k != "digest"}
    edit(body)
    resealed = {**body, "digest": saved_plan.digest(body)}  # a digest that matches: only the times are wrong
    with pytest.raises(StalePlanError, match="no valid creation and expiry time"):
        saved_plan.parse(resealed, "p.json", now=T0)


def test_an_extended_expiry_breaks_the_signature() -> None:
    doc = saved_plan.seal(empty_doc(), KEY, now=T0, ttl=60)
    doc["expires"] = "2099-01-01T00:00:00Z"
    with pytest.raises(StalePlanError, match="altered after it was written"):
        saved_plan.parse(doc, "p.json", KEY, now=T0 + 120)


# -- through the CLI ----------------------------------------------------------------------------------------


def write_zone(body: str) -> Path:
    path = Path("zones") / f"{ZONE}.yaml"
    path.write_text(f"zone: {ZONE}\n" + textwrap.dedent(body))
    return path


def test_expires_in_flag_and_environment(emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_zone("records:\n  www: {type: A, value: 192.0.2.1}\n")
    assert run("plan", "--out", "a.json", "--expires-in", "30m").exit_code == 0
    monkeypatch.setenv(expiry.TTL_ENV, "2d")
    result = run("plan", "--out", "b.json")
    assert result.exit_code == 0 and "before " in result.output
    for name, seconds in (("a.json", 1800), ("b.json", 2 * 86400)):
        doc = json.loads(Path(name).read_text())
        jsonschema.validate(doc, SCHEMA)
        assert expiry.read_time(doc["expires"]) - expiry.read_time(doc["created"]) == seconds
    printed = json.loads(run("plan", "--format", "json", "--expires-in", "5m").stdout)
    assert expiry.read_time(printed["expires"]) - expiry.read_time(printed["created"]) == 300
    monkeypatch.setenv(expiry.TTL_ENV, "soon")
    result = run("plan", "--out", "c.json")
    assert result.exit_code == 1 and "ZONESYNC_PLAN_TTL" in result.output and "'soon'" in result.output
    assert not Path("c.json").exists()


def test_an_old_signed_plan_replayed_after_the_zone_came_back_is_refused_once_expired(
    emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay expiry stops: the plan adds `new`; applied, then `new` is deleted by hand, so the zone is
    back in the very state the plan was made against and the staleness check alone would let it apply."""
    emulator.add_record(ZONE, {"type": "A", "name": f"www.{ZONE}", "content": "192.0.2.1", "ttl": 300})
    write_zone("ttl: 300\nrecords:\n  www: {type: A, value: 192.0.2.1}\n  new: {type: A, value: 192.0.2.2}\n")
    monkeypatch.setenv(saved_plan.KEY_ENV, KEY)
    monkeypatch.setattr(expiry, "clock", lambda: T0)
    assert run("plan", "--out", "plan.json", "--expires-in", "72h").exit_code == 0

    def take_new_back() -> None:
        [rec] = [r for r in emulator.records(ZONE) if r["name"] == f"new.{ZONE}"]
        resp = httpx.delete(
            f"{emulator.url}/zones/{emulator.zone_id(ZONE)}/dns_records/{rec['id']}",
            headers={"Authorization": "Bearer test-token"},
        )
        assert resp.status_code == 200, resp.text

    def user_names() -> set[str]:
        return {r["name"] for r in user_records(emulator, ZONE)}

    monkeypatch.setattr(expiry, "clock", lambda: T0 + 3600)
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 0, result.output
    take_new_back()
    # before its expiry the zone's return lets the same plan apply again: that is what expiry bounds
    monkeypatch.setattr(expiry, "clock", lambda: T0 + 71 * 3600)
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 0, result.output
    take_new_back()
    before = emulator.records(ZONE)
    monkeypatch.setattr(expiry, "clock", lambda: T0 + 72 * 3600)
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 3, result.output
    assert "plan.json: the plan expired at 2027-01-18 08:00:00 UTC" in result.output
    assert emulator.records(ZONE) == before and user_names() == {f"www.{ZONE}"}
