"""The accounts file under `validate` and at the edges (issue 21, item 17): validate reads it, a zone two
accounts match is an error naming both, `token_env` must name a variable meant for a Cloudflare token, and
every token error names the variable the token came from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from zonesync.cli import cli
from zonesync.cloudflare import accounts
from zonesync.emulator.server import Emulator

SHOP = "a" * 32
AGENCY = "b" * 32
ZONE = "zone: shop.example\nrecords:\n  www: {type: A, value: 192.0.2.1}\n"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def project(workdir: Path) -> Path:
    (workdir / "zones" / "shop.example.yaml").write_text(ZONE)
    return workdir


def accounts_file(path: Path, *entries: tuple[str, str, str]) -> None:
    text = "accounts:\n" + "".join(
        f"  - id: {account}\n    token_env: {env}\n    zones: {zones}\n" for account, env, zones in entries
    )
    (path / "zonesync.yaml").write_text(text)


def one_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_validate_reads_the_accounts_file(project: Path) -> None:
    (project / "zonesync.yaml").write_text(
        f"accounts:\n  - id: {SHOP}\n    token_evn: CF_TOKEN_SHOP\n    zones: [x]\n"
    )
    line = one_error(run("validate"))
    assert "zonesync.yaml:3: accounts[0].token_evn: unknown key 'token_evn'" in line


def test_validate_without_an_accounts_file_is_unchanged(project: Path) -> None:
    result = run("validate")
    assert result.exit_code == 0 and "1 record" in result.output, result.output


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_a_zone_two_accounts_match_is_an_error_naming_both(project: Path, command: str) -> None:
    accounts_file(
        project, (AGENCY, "CF_TOKEN_AGENCY", "[shop.example]"), (SHOP, "CF_TOKEN_SHOP", '["*.example"]')
    )
    line = one_error(run(command))
    assert "zonesync.yaml:5: accounts[1].zones" in line and "shop.example" in line
    assert AGENCY in line and SHOP in line and "line 2" in line


@pytest.mark.parametrize(
    "name",
    ["PATH", "HOME", "ZONESYNC_PLAN_KEY", "ZONESYNC_CF_TOKEN", "GITHUB_TOKEN", "CI_JOB_TOKEN", "cf_token_shop",
     "CLOUDFLARE_ACCOUNT", "MY_SECRET"],
)  # fmt: skip
def test_token_env_must_name_a_variable_meant_for_a_token(project: Path, name: str) -> None:
    accounts_file(project, (SHOP, name, "[shop.example]"))
    line = one_error(run("validate"))
    assert (
        f"zonesync.yaml:3: accounts[0].token_env: {name} is not a variable meant for a Cloudflare token"
        in line
    )


@pytest.mark.parametrize(
    "name", ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_TOKEN_SHOP", "CF_TOKEN_SHOP", "SHOP_CF_TOKEN"]
)
def test_token_env_names_that_say_what_they_hold(name: str) -> None:
    assert accounts.token_env_problem(name) is None


@pytest.fixture
def shop_emulator(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    emu = Emulator(
        tokens=(), account_tokens={"tok-shop": SHOP}, zones=(f"shop.example@{SHOP}",), rate_limit=0
    )
    emu.start()
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "tok-shop")  # set, but not the one this account uses
    accounts_file(project, (SHOP, "CF_TOKEN_SHOP", "[shop.example]"))
    try:
        yield emu
    finally:
        emu.stop()


def test_a_refused_token_names_its_variable(shop_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CF_TOKEN_SHOP", "tok-wrong")
    result = run("plan")
    assert result.exit_code != 0
    assert "check CF_TOKEN_SHOP" in result.output and "CLOUDFLARE_API_TOKEN" not in result.output, (
        result.output
    )
    assert "tok-wrong" not in result.output


def test_a_malformed_token_names_its_variable(
    shop_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CF_TOKEN_SHOP", "tok shop")
    line = one_error(run("plan"))
    assert (
        "CF_TOKEN_SHOP holds a space" in line
        and "CLOUDFLARE_API_TOKEN" not in line
        and "tok shop" not in line
    )
    monkeypatch.setenv("CF_TOKEN_SHOP", "tok-shop")
    assert run("plan").exit_code == 0
