"""DNSSEC from the zone file, end to end through the real CLI, the SDK and the emulator: `dnssec: true` ->
plan shows the change -> apply enables it and shows the DS -> plan shows `pending` and the DS -> verify with
that DS as --trust-anchor passes. `dnssec: false` on an active zone is refused without --force (the DS may
still be at the registrar), unless the parent is seen to publish no DS. A token without DNS Write gets a
message naming it. A saved plan carries the change; a zone file without the key never reads DNSSEC."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from clirun import run
from verify_env import World, findings, world_fixture  # noqa: F401

from zonesync.verify.parent_ds import RESOLVER_ENV, lookup

SCHEMA = json.loads((Path(__file__).parent.parent / "zonesync" / "schemas" / "plan.schema.json").read_text())
ZONE = """
zone: example.com
dnssec: {flag}
records:
  "@": {{type: A, value: 203.0.113.10}}
  www: {{type: A, value: 203.0.113.11}}
"""
DS_LINE = re.compile(r"example\.com\. 3600 IN DS \d+ 13 2 [0-9a-f]{64}")


def write(world: World, flag: str) -> None:
    world.write(ZONE.format(flag=flag))


def dnssec_routes(world: World) -> int:
    return sum(n for route, n in world.emu.stats()["by_route"].items() if route.endswith("/dnssec"))


def test_enable_plan_apply_verify(world: World) -> None:
    world.emu.set_dnssec(delay=600)  # the registrar step does not happen during this test
    write(world, "true")
    planned = run("plan")
    assert planned.exit_code == 0, planned.output
    assert "DNSSEC: enable (now disabled)" in planned.output

    applied = run("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    note = re.search(
        r"DNSSEC enabled: Cloudflare says pending; give the registrar this DS record: (.+?) \(",
        applied.output,
    )
    assert note and DS_LINE.fullmatch(note.group(1)), applied.output
    ds = note.group(1)
    assert ds == world.emu.dnssec_ds("example.com")

    again = run("plan")
    assert f"DNSSEC: pending — give the registrar this DS record: {ds}" in again.output
    assert "no changes" in again.output

    doc = json.loads(run("plan", "--format", "json").output)
    jsonschema.validate(doc, SCHEMA)
    block = doc["zones"][0]["dnssec"]
    assert block["status"] == "pending" and block["action"] is None and block["ds"]["ds"] == ds
    tag, _alg, _dtype, digest = ds.split()[4:]
    assert block["ds"] == {"key_tag": int(tag), "algorithm": 13, "digest_type": 2, "digest": digest, "ds": ds}

    result = world.verify("--format", "json", "--trust-anchor", ds, "example.com")
    doc = json.loads(result.output)
    assert [f["status"] for f in findings(doc, "dnssec")] == ["pass", "pass", "pass"], findings(doc, "dnssec")
    assert result.exit_code == 0, result.output


def test_disable_active_zone_needs_force_or_the_ds_gone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(world, "true")
    assert run("apply", "--yes").exit_code == 0
    assert "DNSSEC: active" in run("plan").output  # delay 0: the DS "reached the registrar" at once

    write(world, "false")
    monkeypatch.setenv(RESOLVER_ENV, "127.0.0.1:9")  # nobody answers: the DS may still be there
    planned = run("plan")
    assert "DNSSEC: disable (now active) — DANGEROUS" in planned.output
    assert "breaks the zone for every validating resolver" in planned.output
    refused = run("apply", "--yes")
    assert refused.exit_code == 4, refused.output
    assert "could not ask the parent" in refused.output
    assert world.emu.dnssec.get(world.emu.store.zone_named("example.com"))["status"] == "active"

    forced = run("apply", "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert (
        "DNSSEC disabled: Cloudflare says pending-disabled; remove the DS record at the registrar"
        in forced.output
    )


def test_disable_goes_ahead_when_the_parent_has_no_ds(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    write(world, "true")
    assert run("apply", "--yes").exit_code == 0
    write(world, "false")
    monkeypatch.setenv(RESOLVER_ENV, world.nameserver)  # answers the DS question: no DS
    planned = run("plan")
    assert "DANGEROUS" not in planned.output and "DNSSEC: disable (now active)" in planned.output
    applied = run("apply", "--yes")
    assert applied.exit_code == 0, applied.output


def test_saved_plan_carries_the_change_and_goes_stale(world: World, tmp_path: Path) -> None:
    world.emu.set_dnssec(delay=600)
    world.write("zone: example.com\ndnssec: true\n")  # no record changes: only DNSSEC can go stale
    out = tmp_path / "plan.json"
    assert run("plan", "--out", str(out)).exit_code == 0
    saved = json.loads(out.read_text())
    jsonschema.validate(saved, SCHEMA)
    assert saved["zones"][0]["dnssec"]["action"] == "enable" and saved["has_changes"] is True
    applied = run("apply", "--yes", str(out))
    assert applied.exit_code == 0, applied.output
    assert "DNSSEC enabled" in applied.output
    # the same plan again: DNSSEC is pending now, not disabled as planned
    stale = run("apply", "--yes", str(out))
    assert stale.exit_code == 3 and "DNSSEC is pending now, disabled when the plan was made" in stale.output


def test_token_without_dns_write_is_told_the_permission(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cloudflare refuses a token without the permission with 403 10000 (facts S6): the PATCH here (the
    records batch went through), the GET when the token cannot even read DNSSEC."""
    world.write("zone: example.com\ndnssec: true\n")
    world.emu.inject_fault(
        status=403, code=10000, message="Authentication error", method="PATCH", path_pattern="/dnssec$"
    )
    result = run("apply", "--yes")
    assert result.exit_code != 0
    assert "setting DNSSEC to active: HTTP 403: 10000 Authentication error" in result.output, result.output
    assert "lacks the DNS Write permission" in result.output and "Traceback" not in result.output
    world.emu.inject_fault(
        status=403, code=10000, message="Authentication error", method="GET", path_pattern="/dnssec$"
    )
    planned = run("plan")
    assert planned.exit_code != 0 and "reading DNSSEC" in planned.output and "DNS Write" in planned.output


def test_a_read_only_token_fails_at_the_first_write(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.emu.read_only_tokens = frozenset({"read-only"})
    world.emu.tokens |= {"read-only"}
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "read-only")
    world.write("zone: example.com\ndnssec: true\n")
    result = run("apply", "--yes")
    assert result.exit_code != 0 and "10000 Authentication error" in result.output
    assert "DNSSEC not enabled: the record changes failed first" in result.output
    assert world.emu.dnssec.get(world.emu.store.zone_named("example.com"))["status"] == "disabled"


def test_no_key_no_dnssec_request(world: World) -> None:
    world.write('zone: example.com\nrecords:\n  "@": {type: A, value: 203.0.113.10}\n')
    assert run("apply", "--yes").exit_code == 0
    doc = json.loads(run("plan", "--format", "json").output)
    assert doc["zones"][0]["dnssec"] is None
    assert dnssec_routes(world) == 0


def test_parent_lookup_reads_the_parent_zone(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The DS question answered by a parent zone that delegates the child: present, then absent."""
    world.emu.add_zone("parent.example")
    world.add("parent.example", "NS", "child.parent.example", "ns1.elsewhere.example")
    monkeypatch.setenv(RESOLVER_ENV, world.nameserver)
    assert lookup("child.parent.example")[0] == "absent"
    world.emu.add_record(
        "parent.example",
        {
            "type": "DS",
            "name": "child.parent.example",
            "ttl": 3600,
            "data": {"key_tag": 2371, "algorithm": 13, "digest_type": 2, "digest": "ab" * 32},
        },
    )
    found, detail = lookup("child.parent.example")
    assert found == "present" and "still publishes a DS" in detail


def test_a_resealed_plan_with_a_forged_dnssec_action_is_refused(world: World, tmp_path: Path) -> None:
    """The DNSSEC block is checked like the rest of a saved plan: an action that does not follow from what
    was planned (here `disable` for `dnssec: true`) is refused before any request."""
    from zonesync.plan.saved_plan import seal

    world.write("zone: example.com\ndnssec: true\n")
    out = tmp_path / "plan.json"
    assert run("plan", "--out", str(out)).exit_code == 0
    doc = json.loads(out.read_text())
    doc["zones"][0]["dnssec"]["action"] = "disable"
    out.write_text(json.dumps(seal(doc)))
    result = run("apply", "--yes", str(out))
    assert result.exit_code != 0 and "$.zones[0].dnssec.action" in result.output, result.output
    assert world.emu.dnssec.get(world.emu.store.zone_named("example.com"))["status"] == "disabled"
