"""DKIM key rotation: the state in the zone file, plan's date-driven rules (injected clock, ZONESYNC_NOW), and a
whole rotation through the real CLI against the emulator and its authoritative DNS."""

from __future__ import annotations

import fnmatch
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from verify_env import MAIL_ZONE, World, findings, world_fixture  # noqa: F401

from zonesync.cli import cli

DAY0 = "2026-12-05"
ZONE = MAIL_ZONE.replace("  preset: maddy\n", "  # maddy signs our mail\n  preset: maddy\n")


def run(*args: str, now: str = DAY0) -> Result:
    return CliRunner().invoke(
        cli, list(args), env={"ZONESYNC_NOW": f"{now}T09:00:00Z"}, catch_exceptions=False
    )


def zone_with(tmp_path: Path, dkim: str, rotation: str = "") -> Path:
    (tmp_path / "zones").mkdir(exist_ok=True)
    path = tmp_path / "zones" / "example.com.yaml"
    path.write_text(textwrap.dedent(ZONE).lstrip() + textwrap.indent(textwrap.dedent(dkim), "  ") + rotation)
    return path


RETIRING = """
dkim:
  - selector: old
    state: retiring
    active_since: 2026-06-01
    retiring_since: 2026-12-01
  - selector: new
    state: active
    published: 2026-11-30
    active_since: 2026-12-01
"""


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_revoking_is_refused_on_day_6_and_proposed_on_day_8(in_tmp: Path) -> None:
    zone_with(in_tmp, RETIRING)
    day6 = run("validate", now="2026-12-07")
    assert day6.exit_code == 0, day6.output
    assert "revoke it now" not in day6.output  # nothing proposed inside the overlap
    day8 = run("validate", now="2026-12-09")
    assert day8.exit_code == 0, day8.output
    assert "the 7-day overlap of selector old ended on 2026-12-08: revoke it now" in day8.output
    # a person revoking by hand on day 6: plan refuses
    zone_with(in_tmp, RETIRING.replace("state: retiring", "state: revoked\n    revoked_since: 2026-12-07"))
    refused = run("validate", now="2026-12-07")
    assert refused.exit_code == 1
    assert "selector old is revoked on day 6 of its 7-day overlap" in refused.output
    assert "keep it `state: retiring` until 2026-12-08" in refused.output
    zone_with(in_tmp, RETIRING.replace("state: retiring", "state: revoked\n    revoked_since: 2026-12-09"))
    allowed = run("validate", now="2026-12-09")
    assert allowed.exit_code == 0, allowed.output
    # --next follows the same clock
    zone_with(in_tmp, RETIRING)
    early = run("dkim", "rotate", "example.com", "--next", now="2026-12-07")
    assert early.exit_code == 1 and "day 6 of its 7-day overlap" in early.output
    assert "state: retiring" in (in_tmp / "zones" / "example.com.yaml").read_text()  # unchanged


def test_the_overlap_is_configurable(in_tmp: Path) -> None:
    zone_with(in_tmp, RETIRING, "  dkim_rotation:\n    overlap_days: 3\n")
    result = run("validate", now="2026-12-04")
    assert "the 3-day overlap of selector old ended on 2026-12-04" in result.output


def test_revoking_the_active_selector_is_refused(in_tmp: Path) -> None:
    zone_with(in_tmp, RETIRING.replace("state: active", "state: retiring\n    retiring_since: 2026-12-01"))
    result = run("validate", now="2026-12-20")
    assert result.exit_code == 1
    assert "no DKIM selector is `state: active`" in result.output
    zone_with(in_tmp, "dkim:\n  - selector: default\n    state: revoked\n    revoked_since: 2026-12-01\n")
    assert run("validate").exit_code == 1


def test_revoking_without_retiring_first_is_refused(in_tmp: Path) -> None:
    text = RETIRING.replace("    retiring_since: 2026-12-01\n", "").replace(
        "state: retiring", "state: revoked"
    )
    zone_with(in_tmp, text)
    result = run("validate", now="2026-12-20")
    assert result.exit_code == 1 and "revoked without having been retiring" in result.output


def test_an_old_active_key_is_warned_about(in_tmp: Path) -> None:
    zone_with(in_tmp, "dkim:\n  - selector: default\n    state: active\n    active_since: 2026-05-01\n")
    result = run("validate", now="2026-12-05")
    assert result.exit_code == 0
    assert (
        "DKIM key default has signed for 218 days, longer than the rotation period of 180 days"
        in result.output
    )
    assert "signed for" not in run("validate", now="2026-10-01").output


def test_bad_state_and_date_name_the_line(in_tmp: Path) -> None:
    zone_with(in_tmp, "dkim:\n  - selector: default\n    state: retired\n")
    result = run("validate")
    assert result.exit_code == 1
    assert (
        "example.com.yaml:17: mail.dkim[0].state: 'retired' is not one of next, active, retiring, revoked"
        in (result.output)
    )
    zone_with(in_tmp, "dkim:\n  - selector: default\n    active_since: soon\n")
    result = run("validate")
    assert "example.com.yaml:17: mail.dkim[0].active_since: must be a date like 2026-12-05" in result.output
    zone_with(in_tmp, "")
    bad_now = CliRunner().invoke(cli, ["validate"], env={"ZONESYNC_NOW": "tomorrow"})
    assert bad_now.exit_code == 1 and "ZONESYNC_NOW='tomorrow' is not an ISO 8601 time" in bad_now.output


def test_start_keeps_the_file_and_gitignores_the_key(in_tmp: Path) -> None:
    path = zone_with(in_tmp, "")
    before = path.read_text()
    assert run("dkim", "generate", "example.com").exit_code == 0
    result = run("dkim", "rotate", "example.com")
    assert result.exit_code == 0, result.output
    after = path.read_text()
    assert after.startswith(before)  # the preset's selectors were written after everything else
    assert yaml.safe_load(after)["mail"]["dkim"] == [
        {"selector": "default", "state": "active"},
        {"selector": "s2026q4", "state": "next"},
    ]
    key = in_tmp / "keys" / "example.com_s2026q4.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert "BEGIN PRIVATE KEY" not in result.output
    again = run("dkim", "rotate", "example.com")
    assert again.exit_code == 1 and "a rotation is under way" in again.output


def test_postfix_preset_keys_are_gitignored_after_a_rotation(in_tmp: Path) -> None:
    path = zone_with(in_tmp, "")
    path.write_text(path.read_text().replace("preset: maddy", "preset: postfix"))
    assert run("dkim", "generate", "example.com").exit_code == 0
    assert (in_tmp / "keys" / "example.com" / "default.private").exists()
    result = run("dkim", "rotate", "example.com", "--selector", "mail2026")
    assert result.exit_code == 0, result.output
    ignore = (in_tmp / "keys" / "example.com" / ".gitignore").read_text().splitlines()
    ignored = [p for p in ignore if p and not p.startswith(("#", "!"))]
    admitted = [p[1:] for p in ignore if p.startswith("!")]
    for name in ("default.private", "mail2026.private"):  # both keys, the old and the rotated one
        assert any(fnmatch.fnmatch(name, p) for p in ignored), ignore
        assert not any(fnmatch.fnmatch(name, p) for p in admitted), ignore


def test_stalwart_needs_the_servers_selector_name(in_tmp: Path) -> None:
    path = zone_with(in_tmp, "dkim:\n  - selector: v1-rsa-20260601\n")
    path.write_text(path.read_text().replace("preset: maddy", "preset: stalwart"))
    result = run("dkim", "rotate", "example.com")
    assert result.exit_code == 1 and "stalwart makes its own keys" in result.output
    result = run("dkim", "rotate", "example.com", "--selector", "v1-rsa-20261205")
    assert result.exit_code == 0, result.output
    assert not list((in_tmp).glob("keys/*v1-rsa-20261205*"))  # never a key for a server that makes its own


def _dkim_records(world: World) -> dict[str, str]:
    return {
        r["name"]: r["content"].strip('"')
        for r in world.emu.records("example.com")
        if r["type"] == "TXT" and "._domainkey." in r["name"]
    }


def _step(world: World, now: str) -> Result:
    return run(
        "dkim", "rotate", "example.com", "--next", "--nameserver", world.nameserver, "--timeout", "2", now=now
    )


def _apply(now: str) -> Result:
    result = run("apply", "--yes", now=now)
    assert result.exit_code == 0, result.output
    return result


def test_rotation_end_to_end(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    path = world.write(ZONE)
    text_before = path.read_text()
    _apply(DAY0)  # generates and publishes `default`
    live = _dkim_records(world)
    old_key = live["default._domainkey.example.com"]
    assert old_key.startswith("v=DKIM1; k=rsa; p=MII")

    start = run("dkim", "rotate", "example.com", now=DAY0)
    assert start.exit_code == 0, start.output
    assert path.read_text().startswith(text_before)  # every line kept, the dkim list added at the end
    early = _step(world, DAY0)  # not applied yet: not served
    assert early.exit_code == 1
    assert "s2026q4 is not served by every authoritative nameserver yet" in early.output
    assert "no DKIM record served at s2026q4._domainkey.example.com" in early.output

    _apply(DAY0)  # publish: both keys live
    live = _dkim_records(world)
    assert live["default._domainkey.example.com"] == old_key
    assert live["s2026q4._domainkey.example.com"].startswith("v=DKIM1; k=rsa; p=MII")

    served = _step(world, DAY0)
    assert served.exit_code == 0, served.output
    assert "served by every authoritative nameserver: recorded `published: 2026-12-05`" in served.output
    assert "- dkim $(primary_domain) $(local_domains) default" in served.output  # maddy's switch
    assert "+ dkim $(primary_domain) $(local_domains) s2026q4" in served.output
    assert "/var/lib/maddy/dkim_keys/example.com_s2026q4.key" in served.output

    switched = _step(world, DAY0)
    assert switched.exit_code == 0, switched.output
    assert "revoke it on or after 2026-12-12" in switched.output
    dkim = {d["selector"]: d for d in yaml.safe_load(path.read_text())["mail"]["dkim"]}
    assert dkim["s2026q4"]["state"] == "active" and str(dkim["s2026q4"]["active_since"]) == DAY0
    assert dkim["default"]["state"] == "retiring" and str(dkim["default"]["retiring_since"]) == DAY0
    _apply(DAY0)
    assert _dkim_records(world) == live  # a state change publishes nothing new

    day6 = _step(world, "2026-12-11")
    assert day6.exit_code == 1 and "day 6 of its 7-day overlap" in day6.output
    proposal = run("plan", now="2026-12-13")
    assert "the 7-day overlap of selector default ended on 2026-12-12: revoke it now" in proposal.output

    revoked = _step(world, "2026-12-13")
    assert revoked.exit_code == 0, revoked.output
    monkeypatch.setenv("ZONESYNC_NOW", "2026-12-13T10:00:00Z")
    code, doc = world.verify_json()  # revoked in the file, not yet applied: verify says the key is still out
    assert code == 5
    assert any("is revoked in the zone file, but default._domainkey.example.com still serves its key" in f["message"]
               for f in findings(doc, "dkim", "fail"))  # fmt: skip
    _apply("2026-12-13")
    live = _dkim_records(world)
    assert live["default._domainkey.example.com"] == "v=DKIM1; p="
    assert live["s2026q4._domainkey.example.com"].startswith("v=DKIM1; k=rsa; p=MII")
    code, doc = world.verify_json()
    assert code == 0, doc
    messages = [f["message"] for f in findings(doc, "dkim")]
    assert "selector default is served revoked (empty p=) at default._domainkey.example.com" in messages

    same_day = _step(world, "2026-12-13")
    assert same_day.exit_code == 1 and "delete it in a later run" in same_day.output
    deleted = _step(world, "2026-12-14")
    assert deleted.exit_code == 0, deleted.output
    assert [d["selector"] for d in yaml.safe_load(path.read_text())["mail"]["dkim"]] == ["s2026q4"]
    _apply("2026-12-14")
    live = _dkim_records(world)
    assert list(live) == ["s2026q4._domainkey.example.com"]  # the active selector was never deleted
    assert _step(world, "2026-12-14").output.startswith("no rotation in progress")


def test_plan_refuses_to_delete_a_key_that_was_not_revoked(world: World) -> None:
    world.write(ZONE)
    _apply(DAY0)
    assert run("dkim", "rotate", "example.com").exit_code == 0
    _apply(DAY0)
    assert _step(world, DAY0).exit_code == 0
    assert _step(world, DAY0).exit_code == 0  # switched: default is retiring
    path = world.root / "zones" / "example.com.yaml"
    data = path.read_text()
    start = data.index("    - selector: default")
    end = data.index("    - selector: s2026q4")
    path.write_text(data[:start] + data[end:])  # a person deletes the retiring selector by hand
    result = run("plan", now="2026-12-06")
    assert result.exit_code == 1
    assert "would delete the published key of selector default without revoking it first" in result.output
    assert "default._domainkey.example.com" in _dkim_records(world)


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("maddy", ["+ dkim $(primary_domain) $(local_domains) s2", "- dkim $(primary_domain) $(local_domains) s1",
                   "install -o maddy -g maddy -m 0600 /k/s2.key /var/lib/maddy/dkim_keys/example.com_s2.key"]),
        ("rspamd", ['+ selector = "s2";', "/var/lib/rspamd/dkim/example.com.s2.key"]),
        ("postfix", ["+ Selector s2", "+ KeyFile /etc/opendkim/keys/example.com/s2.private",
                     "+ s2._domainkey.example.com example.com:s2:/etc/opendkim/keys/example.com/s2.private",
                     "+ *@example.com s2._domainkey.example.com"]),
        ("docker-mailserver", ["+ s2._domainkey.example.com example.com:s2:/etc/opendkim/keys/example.com/s2.private",
                               "docker-data/dms/config/opendkim/keys/example.com/s2.private"]),
        ("stalwart", ["delete the DKIM signature with selector s1", "auth.dkim.sign"]),
        ("mox", ["DKIM > Sign:", "- s1", "+ s2"]),
    ],
)  # fmt: skip
def test_switch_instructions_per_preset(preset: str, expected: list[str]) -> None:
    from zonesync.mail.signer_switch import switch_instructions

    key = Path("/k/s2.key") if preset not in ("stalwart", "mox") else None
    text = switch_instructions(preset, "example.com", "s2", "s1", key)
    for needle in expected:
        assert needle in text, text
