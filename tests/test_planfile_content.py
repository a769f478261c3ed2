"""A saved plan's content is checked as strictly as a zone file (zonesync/plan/saved_plan_check.py), issue 21
item 16: a plan whose signature is valid but whose content is malformed (re-sealed with the key after an
edit, the way zonesync seals) is one clear error naming the field as a JSON path, exit 1, never an
`internal error`, and nothing is written; a planned name outside the zone is refused, not applied as a
name inside it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clirun import run
from emu_records import user_records

from zonesync.emulator.server import Emulator
from zonesync.plan import saved_plan

ZONE = "example.com"
KEY = "k" * 40  # the signing key of the plan and the apply job

ZONE_FILE = f"""\
zone: {ZONE}
records:
  www:
    type: A
    value: 192.0.2.1
  upd:
    type: A
    value: 192.0.2.2
    ttl: 600
"""

Change = dict[str, Any]


@pytest.fixture
def saved(workdir: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A signed plan with a create (www), an update (upd: ttl 300 -> 600) and a delete (old)."""
    monkeypatch.setenv("ZONESYNC_PLAN_KEY", KEY)
    emulator.add_record(ZONE, {"type": "A", "name": "upd", "content": "192.0.2.2", "ttl": 300})
    emulator.add_record(ZONE, {"type": "A", "name": "old", "content": "192.0.2.3", "ttl": 300})
    (workdir / "zones" / f"{ZONE}.yaml").write_text(ZONE_FILE)
    result = run("plan", "--out", "plan.json")
    assert result.exit_code == 0, result.output
    return json.loads(Path("plan.json").read_text())


def change(doc: dict[str, Any], action: str) -> Change:
    return next(c for c in doc["zones"][0]["changes"] if c["action"] == action)


def outside(doc: dict[str, Any]) -> None:
    create = change(doc, "create")
    create["name"] = create["after"]["name"] = "evil.example.org"


def proxied_txt(doc: dict[str, Any]) -> None:
    create = change(doc, "create")
    create["type"] = create["after"]["type"] = "TXT"
    create["after"]["value"] = "hello"


def long_txt(doc: dict[str, Any]) -> None:
    proxied_txt(doc)
    change(doc, "create")["after"].update(value="x" * 10_000, proxied=None)


def set_(
    path: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any
) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        path(doc)[key] = value

    return edit


def zone0(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["zones"][0]


def create(doc: dict[str, Any]) -> Change:
    return change(doc, "create")


def create_after(doc: dict[str, Any]) -> dict[str, Any]:
    return change(doc, "create")["after"]


def update(doc: dict[str, Any]) -> Change:
    return change(doc, "update")


def delete(doc: dict[str, Any]) -> Change:
    return change(doc, "delete")


def index_of(doc: dict[str, Any], action: str) -> int:
    return next(i for i, c in enumerate(doc["zones"][0]["changes"]) if c["action"] == action)


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("unknown action", set_(create, "action", "frobnicate"), "create", ".action: must be one of create, update, delete, not the string 'frobnicate'"),
    ("create without after", set_(create, "after", None), "create", ".after: is null, but a create needs the record as it will be"),
    ("list where a value belongs", set_(create_after, "value", ["192.0.2.9"]), "create", ".after.value: must be a string, not a list"),
    ("name outside the zone", outside, "create", ".name: 'evil.example.org' is outside the plan's zone example.com"),
    ("ttl out of range", set_(create_after, "ttl", 5), "create", ".after.ttl: must be 1 (automatic) or 30..86400, not 5"),
    ("ttl not a number", set_(create_after, "ttl", "300"), "create", ".after.ttl: must be a whole number, not the string '300'"),
    ("unknown record type", set_(create, "type", "XYZ"), "create", ".type: must be a record type zonesync manages"),
    ("value that does not parse", set_(create_after, "value", "not-an-address"), "create", ".after.value: invalid A value"),
    ("record type unlike the change's", set_(create, "type", "TXT"), "create", ".after.type: is 'A', but the change is for 'TXT'"),
    ("proxied on a type that cannot be", proxied_txt, "create", ".after.proxied: must be null for a TXT record, not false"),
    ("txt Cloudflare refuses", long_txt, "create", ".after: a TXT value of 10,000 bytes"),
    ("delete without before", set_(delete, "before", None), "delete", ".before: is null, but a delete needs the live record it changes"),
    ("delete without the live id", set_(lambda d: delete(d)["before"], "id", None), "delete", ".before.id: must be a non-empty string, not null"),
    ("update without fields", lambda d: update(d).pop("fields"), "update", ".fields: is missing"),
    ("unknown member", set_(create, "extra", 1), "create", ".extra: is not a member of this object"),
    ("change not an object", lambda d: zone0(d)["changes"].append(42), None, "$.zones[0].changes[3]: must be an object, not the number 42"),
    ("counts that do not add up", set_(lambda d: zone0(d)["counts"], "delete", 0), None, "$.zones[0].counts: says 1 create, 1 update, 0 delete, but the changes (DNS and Worker) are 1 create, 1 update, 1 delete"),
    ("zones not a list", lambda d: d.__setitem__("zones", {}), None, "$.zones: must be a list, not an object"),
    ("zone name not a string", set_(zone0, "zone", ["example.com"]), None, "$.zones[0].zone: must be a non-empty string, not a list"),
    ("bad safety limit", set_(lambda d: zone0(d)["safety"]["limits"], "delete", "lots"), None, "$.zones[0].safety.limits.delete: must be a count"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "action", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_malformed_plan_sealed_with_the_key_is_one_clear_error_and_no_write(
    saved: dict[str, Any],
    emulator: Emulator,
    edit: Callable[[dict[str, Any]], None],
    action: str | None,
    expected: str,
) -> None:
    before = sorted((r["name"], r["content"], r["ttl"]) for r in emulator.records(ZONE))
    where = f"$.zones[0].changes[{index_of(saved, action)}]" if action else ""
    edit(saved)
    Path("plan.json").write_text(json.dumps(saved_plan.seal(saved, key=KEY)))  # sealed as zonesync seals
    emulator.reset_stats()
    result = run("apply", "plan.json", "--yes")
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"Error: plan.json: {where}{expected}"), (lines[0], where + expected)
    assert "internal error" not in result.output
    assert sorted((r["name"], r["content"], r["ttl"]) for r in emulator.records(ZONE)) == before
    assert emulator.stats()["total"] == 0  # refused before any request


def test_the_plan_zonesync_writes_passes_and_applies(saved: dict[str, Any], emulator: Emulator) -> None:
    result = run("apply", "plan.json", "--yes")
    assert result.exit_code == 0, result.output
    assert sorted(r["name"] for r in user_records(emulator, ZONE)) == [f"upd.{ZONE}", f"www.{ZONE}"]
