"""Saved plans: `plan --out` -> `apply PLAN.json`, refused when stale (3), altered (3) or unsafe (4)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import httpx
import jsonschema
import pytest
from click.testing import CliRunner
from clirun import run
from emu_records import user_records

from zonesync.cli import cli
from zonesync.errors import StalePlanError
from zonesync.plan import saved_plan

ZONE = "example.com"
SCHEMA = json.loads((Path(saved_plan.__file__).parent.parent / "schemas" / "plan.schema.json").read_text())

BASIC = """\
ttl: 3600
ignore:
  - {name: "_acme-challenge*"}
records:
  "@":
    - type: A
      value: 203.0.113.10
    - type: TXT
      value: v=spf1 -all
  www:
    type: CNAME
    value: example.com.
    proxied: true
    comment: public site
"""


@pytest.fixture
def workdir(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NO_COLOR", "1")
    return workdir


def write_zone(body: str, name: str = ZONE) -> Path:
    path = Path("zones") / f"{name}.yaml"
    path.write_text(f"zone: {name}\n" + textwrap.dedent(body))
    return path


def live(emulator, zone: str = ZONE) -> set[tuple]:
    return {(r["name"], r["type"], r["content"], r.get("comment")) for r in user_records(emulator, zone)}


def api(emulator, method: str, path: str, body: dict | None = None) -> dict:
    resp = httpx.request(
        method, emulator.url + path, json=body, headers={"Authorization": "Bearer test-token"}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["result"]


def seed(emulator, n: int = 0) -> None:
    for i in range(n):
        emulator.add_record(
            ZONE, {"type": "A", "name": f"h{i}.{ZONE}", "content": f"192.0.2.{i + 1}", "ttl": 3600}
        )


# -- the happy path ---------------------------------------------------------------------------------------


def test_plan_out_then_apply_exactly_that_plan(emulator, workdir: Path) -> None:
    write_zone(BASIC)
    result = run("plan", "--out", "plan.json")
    assert result.exit_code == 0, result.output
    doc = json.loads(Path("plan.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["counts"] == {"create": 3, "update": 0, "delete": 0}
    assert "test-token" not in Path("plan.json").read_text()
    assert user_records(emulator, ZONE) == []

    # The zone file changes after review: apply still does exactly what was reviewed.
    write_zone(BASIC.replace("203.0.113.10", "203.0.113.99"))
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 0, result.output
    assert "example.com: applied (3 to create, 0 to update, 0 to delete)" in result.output
    assert live(emulator) == {
        ("example.com", "A", "203.0.113.10", None),
        ("example.com", "TXT", '"v=spf1 -all"', None),
        ("www.example.com", "CNAME", "example.com", "public site"),
    }
    # A plan is applied once: after that the zone it was computed from is gone.
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 3
    assert "example.com: the live zone changed since the plan was made" in result.output


def test_updates_and_deletes_keep_ids(emulator, workdir: Path) -> None:
    write_zone(BASIC)
    assert run("apply", "--yes").exit_code == 0
    ids = {(r["name"], r["type"]): r["id"] for r in user_records(emulator, ZONE)}
    write_zone(
        BASIC.replace("public site", "the web site").replace(
            "    - type: TXT\n      value: v=spf1 -all\n", ""
        )
    )
    assert run("plan", "--out", "p.json").exit_code == 0
    result = run("apply", "--yes", "p.json")
    assert result.exit_code == 0, result.output
    after = {(r["name"], r["type"]): r for r in user_records(emulator, ZONE)}
    assert set(after) == {(ZONE, "A"), (f"www.{ZONE}", "CNAME")}
    assert after[(f"www.{ZONE}", "CNAME")]["id"] == ids[(f"www.{ZONE}", "CNAME")]
    assert after[(f"www.{ZONE}", "CNAME")]["comment"] == "the web site"
    assert run("plan", "--exit-code").exit_code == 0


def test_apply_without_yes_off_a_terminal_refuses(emulator, workdir: Path) -> None:
    write_zone(BASIC)
    run("plan", "--out", "plan.json")
    result = run("apply", "plan.json")
    assert result.exit_code == 1 and "--yes" in result.output
    assert user_records(emulator, ZONE) == []


def test_nothing_to_apply(emulator, workdir: Path) -> None:
    write_zone("records: {}\n")
    assert run("plan", "--out", "plan.json").exit_code == 0
    result = run("apply", "plan.json")  # no changes: no prompt, no --yes needed
    assert result.exit_code == 0 and "Nothing to apply." in result.output


# -- stale ----------------------------------------------------------------------------------------------


def stale_setup(emulator) -> None:
    write_zone(BASIC)
    assert run("apply", "--yes").exit_code == 0
    write_zone(BASIC.replace("203.0.113.10", "203.0.113.11"))
    assert run("plan", "--out", "plan.json").exit_code == 0


def assert_refused_stale(emulator, before: set) -> None:
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 3, result.output
    assert "example.com: the live zone changed since the plan was made" in result.output
    assert "nothing was applied" in result.output
    assert live(emulator) == before


def test_stale_when_someone_adds_a_record(emulator, workdir: Path) -> None:
    stale_setup(emulator)
    emulator.add_record(ZONE, {"type": "A", "name": f"new.{ZONE}", "content": "192.0.2.7", "ttl": 300})
    assert_refused_stale(emulator, live(emulator))


def test_stale_when_someone_edits_any_field_of_any_record(emulator, workdir: Path) -> None:
    stale_setup(emulator)
    rec = next(r for r in user_records(emulator, ZONE) if r["type"] == "TXT")  # not even one the plan touches
    api(emulator, "PATCH", f"/zones/{emulator.zone_id(ZONE)}/dns_records/{rec['id']}", {"comment": "hi"})
    assert_refused_stale(emulator, live(emulator))


def test_stale_when_someone_applied_the_same_change(emulator, workdir: Path) -> None:
    stale_setup(emulator)
    assert run("apply", "--yes").exit_code == 0  # another run got there first
    assert_refused_stale(emulator, live(emulator))


def test_ignored_records_do_not_make_a_plan_stale(emulator, workdir: Path) -> None:
    stale_setup(emulator)
    emulator.add_record(
        ZONE, {"type": "TXT", "name": f"_acme-challenge.{ZONE}", "content": "token", "ttl": 60}
    )
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 0, result.output
    assert ("example.com", "A", "203.0.113.11", None) in live(emulator)


def test_every_zone_is_checked_before_any_is_written(emulator, workdir: Path) -> None:
    emulator.add_zone("example.org")
    write_zone(BASIC)
    write_zone("records:\n  www: {type: A, value: 192.0.2.1}\n", "example.org")
    assert run("plan", "--out", "plan.json").exit_code == 0
    emulator.add_record(
        "example.org", {"type": "A", "name": "x.example.org", "content": "192.0.2.9", "ttl": 60}
    )
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 3
    assert "example.org: the live zone changed" in result.output and "example.com:" not in result.output
    assert user_records(emulator, ZONE) == []  # example.com was fine, and still nothing was written


# -- altered ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["zones"][0]["changes"][0]["after"].update(value="198.51.100.66"),
        lambda d: d["zones"][0]["changes"].pop(),
        lambda d: d["zones"][0].update(fingerprint="sha256:" + "0" * 64),
        lambda d: d["zones"][0]["safety"]["limits"].update(delete="off"),
        lambda d: d.pop("digest"),
    ],
    ids=["value", "dropped-change", "fingerprint", "limits", "no-digest"],
)
def test_altered_plan_is_refused(emulator, workdir: Path, edit) -> None:
    write_zone(BASIC)
    assert run("plan", "--out", "plan.json").exit_code == 0
    doc = json.loads(Path("plan.json").read_text())
    edit(doc)
    Path("plan.json").write_text(json.dumps(doc, indent=2))
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 3, result.output
    assert "plan.json:" in result.output
    assert user_records(emulator, ZONE) == []
    assert emulator.stats()["total"] == 2  # the plan run's two requests: apply never called the API


def test_truncated_or_foreign_files(workdir: Path) -> None:
    Path("cut.json").write_text('{"format": "zonesync-plan", "zon')
    assert run("apply", "--yes", "cut.json").exit_code == 3
    Path("other.json").write_text('{"hello": 1}')
    result = run("apply", "--yes", "other.json")
    assert result.exit_code == 1 and "not a zonesync plan" in result.output
    Path("v9.json").write_text('{"format": "zonesync-plan", "version": 9}')
    assert "version 9" in run("apply", "--yes", "v9.json").output


def test_hmac_key(emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_zone(BASIC)
    monkeypatch.setenv(saved_plan.KEY_ENV, "s3cret-key-" + "0" * 32)
    assert run("plan", "--out", "signed.json").exit_code == 0
    text = Path("signed.json").read_text()
    assert '"digest": "hmac-sha256:' in text and "s3cret-key-" + "0" * 32 not in text
    monkeypatch.delenv(saved_plan.KEY_ENV)
    assert run("plan", "--out", "unsigned.json").exit_code == 0
    result = run("apply", "--yes", "signed.json")
    assert result.exit_code == 3 and "set ZONESYNC_PLAN_KEY" in result.output
    monkeypatch.setenv(saved_plan.KEY_ENV, "another-key-" + "0" * 32)
    assert run("apply", "--yes", "signed.json").exit_code == 3
    monkeypatch.setenv(saved_plan.KEY_ENV, "s3cret-key-" + "0" * 32)
    result = run("apply", "--yes", "unsigned.json")
    assert result.exit_code == 3 and "refusing an unsigned plan" in result.output
    assert user_records(emulator, ZONE) == []
    result = run("apply", "--yes", "signed.json")
    assert result.exit_code == 0, result.output
    assert len(user_records(emulator, ZONE)) == 3


def test_digest_is_over_canonical_json() -> None:
    body = {"b": [1, "ü"], "a": {"y": None, "x": True}}
    same = {"a": {"x": True, "y": None}, "b": [1, "ü"]}
    assert saved_plan.seal(body)["digest"] == saved_plan.seal(same)["digest"]
    sealed = saved_plan.seal(body)
    saved_plan.verify(sealed, "p.json")
    with pytest.raises(StalePlanError):
        saved_plan.verify({**sealed, "b": [2, "ü"]}, "p.json")
    assert saved_plan.seal(body, key="k" * 32)["digest"].startswith("hmac-sha256:")


# -- unsafe -----------------------------------------------------------------------------------------------


def test_unsafe_saved_plan_refused_then_forced(emulator, workdir: Path) -> None:
    seed(emulator, 12)
    write_zone(
        "records:\n" + "".join(f"  h{i}: {{type: A, value: 192.0.2.{i + 1}, ttl: 3600}}\n" for i in range(7))
    )
    result = run("plan", "--out", "plan.json")
    assert result.exit_code == 0
    assert "warning: example.com: unsafe plan: 5 of 12 existing records would be deleted" in result.output
    doc = json.loads(Path("plan.json").read_text())
    assert doc["zones"][0]["safety"]["unsafe"].startswith("example.com: unsafe plan")
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 4, result.output
    assert "5 of 12 existing records would be deleted (42% > 30% limit)" in result.output
    assert len(user_records(emulator, ZONE)) == 12
    result = run("apply", "--yes", "--force", "plan.json")
    assert result.exit_code == 0, result.output
    assert len(user_records(emulator, ZONE)) == 7


def test_unsafe_direct_apply_and_max_changes(emulator, workdir: Path) -> None:
    seed(emulator, 10)
    path = write_zone("records: {}\n")
    result = run("apply", "--yes", path)
    assert result.exit_code == 4 and "10 of 10 existing records would be deleted" in result.output
    assert len(user_records(emulator, ZONE)) == 10
    write_zone("max_changes: {delete: 100%}\nrecords: {}\n")
    result = run("apply", "--yes", path)
    assert result.exit_code == 0, result.output
    assert user_records(emulator, ZONE) == []


# -- what cannot be saved -----------------------------------------------------------------------------------


def test_plan_waiting_for_a_dkim_key_cannot_be_saved(emulator, workdir: Path) -> None:
    write_zone(
        """\
        mail:
          preset: maddy
          mx:
            - host: mx
              priority: 10
          hosts:
            mx: {ipv4: [203.0.113.25]}
        """
    )
    result = run("plan", "--out", "plan.json")
    assert result.exit_code == 1
    assert "zonesync dkim generate" in result.output and "default._domainkey.example.com" in result.output
    assert not Path("plan.json").exists()
    # --format json still shows it (marked pending), but such a document is refused by apply
    result = CliRunner().invoke(cli, ["plan", "--format", "json"])
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    Path("p.json").write_text(result.stdout)
    result = run("apply", "--yes", "p.json")
    assert result.exit_code == 1 and "waits for a new DKIM key" in result.output
    assert user_records(emulator, ZONE) == []

    # Generate the key first, as the message says: the plan saves, with the public key only.
    assert run("dkim", "generate", ZONE).exit_code == 0
    [private] = Path("keys").glob("*.key")
    assert run("plan", "--out", "plan.json").exit_code == 0
    saved = Path("plan.json").read_text()
    pem_body = "".join(line for line in private.read_text().splitlines() if not line.startswith("-----"))
    assert "PRIVATE KEY" not in saved and pem_body[:64] not in saved and "v=DKIM1; k=rsa; p=" in saved
    assert run("apply", "--yes", "plan.json").exit_code == 0
    assert run("plan", "--exit-code").exit_code == 0


def test_unknown_zone_is_a_clear_error(emulator, workdir: Path) -> None:
    write_zone("records: {}\n", "missing.example")
    result = run("plan", "--out", "plan.json")
    assert result.exit_code == 1
    assert "zone missing.example does not exist in this Cloudflare account" in result.output
    assert not Path("plan.json").exists()


# -- pure: the document round-trips ------------------------------------------------------------------------


def test_document_round_trips_every_field() -> None:
    from zonesync.model import Record, Source
    from zonesync.plan import document as json_render
    from zonesync.plan.model import Change, Plan, SkippedRecord, ZonePlan

    src = Source("zones/example.com.yaml", 7, "records.www.value", "mail:spf")
    old = Record("www.example.com", "TXT", 'a "quoted" ü\\x', 300, None, "c", ("a:b",), id="r1")
    new = Record("www.example.com", "TXT", "x" * 600, 1, None, None, (), id="r1", source=src)
    cname = Record("cdn.example.com", "CNAME", "example.net.", 1, True, "cdn", ("t:1", "u:2"), source=src)
    zp = ZonePlan(
        "example.com", "zones/example.com.yaml", "zid",
        (Change("update", old, new), Change("create", after=cname), Change("delete", before=old)),
        12, "sha256:" + "1" * 64, (SkippedRecord("ro.example.com", "A", "192.0.2.1", "read only"),), 2,
    )  # fmt: skip
    doc = saved_plan.seal(json_render.document(Plan((zp,))))
    jsonschema.validate(doc, SCHEMA)
    saved = saved_plan.parse(json.loads(json_render.dumps(doc)), "p.json")
    [z] = saved.zones
    assert z.plan.changes == zp.changes
    for got, want in zip(z.plan.changes, zp.changes, strict=True):
        for g, w in ((got.before, want.before), (got.after, want.after)):
            assert (g and (g.id, g.source)) == (w and (w.id, w.source))
    assert (z.plan.live_count, z.plan.ignored, z.plan.skipped, z.plan.fingerprint) == (
        12, 2, zp.skipped, zp.fingerprint,
    )  # fmt: skip
    assert doc["zones"][0]["changes"][0]["fields"] == [
        {"field": "value", "before": 'a "quoted" ü\\x', "after": "x" * 600},
        {"field": "ttl", "before": 300, "after": 1},
        {"field": "comment", "before": "c", "after": None},
        {"field": "tags", "before": ["a:b"], "after": []},
    ]
