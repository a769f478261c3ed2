"""Several Cloudflare accounts and tokens: the accounts file (zonesync.yaml), and the emulator's accounts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from emu_records import user_records

from zonesync.cli import cli
from zonesync.cloudflare import accounts
from zonesync.emulator.server import Emulator
from zonesync.errors import ZoneFileError, ZonesyncError

SHOP = "a" * 32  # account ids: 32 hex digits
AGENCY = "b" * 32

ACCOUNTS_FILE = f"""\
accounts:
  - id: {AGENCY}
    token_env: CF_TOKEN_AGENCY
    zones: [agency.example, same.example]
  - id: {SHOP}
    token_env: CF_TOKEN_SHOP
    zones: [shop.example, "*.shop.example"]
"""


def parse(text: str) -> accounts.Accounts:
    from zonesync.zonefile import yaml_lines

    return accounts.parse(yaml_lines.load("zonesync.yaml", text), "zonesync.yaml")


# -- the file -------------------------------------------------------------------------------------------------


def test_routing_each_zone_to_its_account_and_the_rest_to_the_default() -> None:
    acc = parse(ACCOUNTS_FILE + "")
    assert acc.for_zone("same.example").id == AGENCY
    assert acc.for_zone("shop.example").id == SHOP
    assert acc.for_zone("www.shop.example").id == SHOP
    assert acc.for_zone("example.org") is accounts.DEFAULT_ACCOUNT
    assert acc.for_zone("example.org").token_env == "CLOUDFLARE_API_TOKEN"
    groups = acc.route(["shop.example", "agency.example", "example.org", "same.example"])
    assert {a.id: zones for a, zones in groups.items()} == {
        SHOP: ["shop.example"],
        AGENCY: ["agency.example", "same.example"],
        None: ["example.org"],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f"accounts:\n  - id: {SHOP}\n    token_evn: X\n    zones: [a.example]\n",
            "zonesync.yaml:3: accounts[0].token_evn: unknown key 'token_evn' (did you mean 'token_env'?)",
        ),
        (
            "accounts:\n  - id: 1234\n    zones: [a.example]\n",
            "zonesync.yaml:2: accounts[0].id: must be a Cloudflare account id (32 hex digits), not 1234",
        ),
        (
            f"accounts:\n  - id: {SHOP}\n    token_env: v1.0-abcdef0123456789\n    zones: [a.example]\n",
            "zonesync.yaml:3: accounts[0].token_env: must be the NAME of an environment variable",
        ),
        (
            f"accounts:\n  - id: {SHOP}\n    zones: []\n",
            "zonesync.yaml:3: accounts[0].zones: must be a non-empty list",
        ),
        (
            f"accounts:\n  - id: {SHOP}\n    zones: [a.example]\n  - id: {SHOP}\n    zones: [b.example]\n",
            f"zonesync.yaml:4: accounts[1].id: account {SHOP} is listed twice (first at line 2)",
        ),
        ("accounts: {}\n", "zonesync.yaml:1: accounts: must be a list of accounts, not a mapping"),
        ("acounts: []\n", "zonesync.yaml:1: acounts: unknown key 'acounts' (did you mean 'accounts'?)"),
    ],
)
def test_bad_accounts_file_is_one_line_with_file_line_field(text: str, message: str) -> None:
    with pytest.raises(ZoneFileError) as exc:
        parse(text)
    assert str(exc.value).startswith(message)


def test_a_value_that_looks_like_a_token_is_never_echoed() -> None:
    with pytest.raises(ZoneFileError) as exc:
        parse(f"accounts:\n  - id: {SHOP}\n    token_env: 'Bearer s3cr3t-t0ken'\n    zones: [a.example]\n")
    assert "s3cr3t" not in str(exc.value)


def test_missing_token_names_the_variable_and_the_zones() -> None:
    acc = parse(ACCOUNTS_FILE)
    groups = acc.route(["agency.example", "shop.example"])
    with pytest.raises(ZonesyncError) as exc:
        accounts.tokens_for(groups, {"CF_TOKEN_SHOP": "tok-shop"})
    assert "CF_TOKEN_AGENCY is not set" in str(exc.value) and "agency.example" in str(exc.value)
    assert "tok-shop" not in str(exc.value)


# -- end to end: two accounts in the emulator, one holding a zone of the same name -----------------------------


@pytest.fixture
def two_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    emu = Emulator(
        tokens=(),
        account_tokens={"tok-shop": SHOP, "tok-agency": AGENCY},
        zones=(
            f"shop.example@{SHOP}",
            f"same.example@{SHOP}",
            f"same.example@{AGENCY}",
            f"agency.example@{AGENCY}",
        ),
        rate_limit=0,
    ).start()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    monkeypatch.setenv("CF_TOKEN_SHOP", "tok-shop")
    monkeypatch.setenv("CF_TOKEN_AGENCY", "tok-agency")
    (tmp_path / "zonesync.yaml").write_text(ACCOUNTS_FILE)
    (tmp_path / "zones").mkdir()
    for zone, address in (
        ("shop.example", "192.0.2.1"),
        ("same.example", "192.0.2.2"),
        ("agency.example", "192.0.2.3"),
    ):
        (tmp_path / "zones" / f"{zone}.yaml").write_text(
            f"zone: {zone}\nrecords:\n  www: {{type: A, value: {address}}}\n"
        )
    try:
        yield emu
    finally:
        emu.stop()


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_each_zone_goes_to_its_account_with_its_token(two_accounts: Emulator) -> None:
    emu = two_accounts
    result = run("apply", "--yes")
    assert result.exit_code == 0, result.output
    assert [r["content"] for r in user_records(emu, "same.example", account_id=AGENCY)] == ["192.0.2.2"]
    assert user_records(emu, "same.example", account_id=SHOP) == []  # same name, other account: untouched
    assert [r["content"] for r in user_records(emu, "shop.example", account_id=SHOP)] == ["192.0.2.1"]
    assert [r["content"] for r in user_records(emu, "agency.example", account_id=AGENCY)] == ["192.0.2.3"]
    again = run("plan", "--exit-code")
    assert again.exit_code == 0, again.output


def test_a_missing_token_stops_before_any_request(
    two_accounts: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CF_TOKEN_AGENCY")
    emu = two_accounts
    emu.reset_stats()
    result = run("plan")
    assert result.exit_code == 1
    assert "CF_TOKEN_AGENCY is not set" in result.output and "agency.example, same.example" in result.output
    assert emu.stats()["total"] == 0


def test_zone_outside_the_tokens_account_is_not_found(two_accounts: Emulator, tmp_path: Path) -> None:
    # the file claims agency.example for the shop account: its token cannot see it there
    (tmp_path / "zonesync.yaml").write_text(
        f"accounts:\n  - id: {SHOP}\n    token_env: CF_TOKEN_SHOP\n    zones: ['*']\n"
    )
    result = run("plan", "zones/agency.example.yaml")
    assert result.exit_code == 1
    assert "agency.example does not exist" in result.output


def test_emulator_answers_a_token_of_another_account_like_cloudflare(two_accounts: Emulator) -> None:
    emu = two_accounts
    zone_id = emu.store.zone_in_account[(AGENCY, "agency.example")].id
    with httpx.Client(base_url=emu.url, headers={"Authorization": "Bearer tok-shop"}) as client:
        denied = client.get(f"/zones/{zone_id}/dns_records")
        listed = client.get("/zones", params={"name": "same.example"}).json()
    assert denied.status_code == 403
    assert denied.json()["errors"] == [{"code": 10000, "message": "Authentication error"}]
    assert [z["account"]["id"] for z in listed["result"]] == [SHOP]
    with httpx.Client(base_url=emu.url, headers={"Authorization": "Bearer tok-agency"}) as client:
        workers = client.get(f"/accounts/{SHOP}/workers/scripts")
    assert workers.status_code == 403 and workers.json()["errors"][0]["code"] == 10000


def test_a_zone_locked_by_another_run_is_waited_for_in_its_own_account(two_accounts: Emulator) -> None:
    """With an accounts file the run's provider is the account router: the wait for another run's zone
    lock reads that lock through the zone's own account (its token), and stops writing nothing."""
    import time

    from zonesync.plan.zone_lock import held_content, lock_name

    emu = two_accounts
    lock = {
        "type": "CNAME",
        "name": lock_name("same.example"),
        "content": held_content(int(time.time()) + 600, "0123456789ab"),
        "ttl": 60,
    }
    emu.add_record("same.example", lock, account_id=AGENCY)
    result = run("apply", "--yes", "--lock-timeout", "0.2")
    assert result.exit_code == 1, result.output
    assert (
        "same.example" in result.output
        and "locked by another zonesync apply (run 0123456789ab" in result.output
    )
    assert "internal error" not in result.output
    assert user_records(emu, "same.example", account_id=AGENCY) == []  # nothing written there
    assert [r["content"] for r in user_records(emu, "shop.example", account_id=SHOP)] == ["192.0.2.1"]


def test_dnssec_goes_through_the_zones_own_account(two_accounts: Emulator, tmp_path: Path) -> None:
    """With an accounts file the run's provider is the account router: `dnssec: true` is read and turned on
    with the token of the account that holds the zone (the other account's token would get 403)."""
    path = tmp_path / "zones" / "agency.example.yaml"
    path.write_text("zone: agency.example\ndnssec: true\nrecords:\n  www: {type: A, value: 192.0.2.3}\n")
    planned = run("plan", str(path))
    assert planned.exit_code == 0, planned.output
    assert "DNSSEC" in planned.output and "internal error" not in planned.output
    applied = run("apply", "--yes", str(path))
    assert applied.exit_code == 0, applied.output
    assert "DNSSEC enabled" in applied.output
