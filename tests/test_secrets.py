"""Secrets (issue 9, item 4): the token checked before use and never shown; header values scrubbed from every
message; a set-but-empty ZONESYNC_PLAN_KEY is an error; `apply --require-signed` refuses unsigned plans."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from emu_records import user_records

from zonesync.cli import cli
from zonesync.cloudflare.tokens import check_token, scrub
from zonesync.plan import saved_plan

ROOT = Path(__file__).resolve().parent.parent
ZONE = "example.com"
ZONE_FILE = (
    "zone: example.com\nrecords:\n  www: {type: A, value: 192.0.2.1}\n  mail: {type: A, value: 192.0.2.2}\n"
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in (saved_plan.KEY_ENV, saved_plan.REQUIRE_SIGNED_ENV, "ZONESYNC_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "zones").mkdir()
    (tmp_path / "zones" / "example.com.yaml").write_text(ZONE_FILE)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def output(result: Result) -> str:
    return result.stdout + result.stderr


# -- the token -------------------------------------------------------------------------------------------


BAD_TOKENS = [
    ("tok-abcdef0123\nInjected: header", "a line break (character 15 of 31)"),
    ("tok-abcdef0123 spaced-out-rest", "a space (character 15 of 30)"),
    ("tok-abcdef0123\tfoo", "whitespace (character 15 of 18)"),
    ("tok-abcdef0123\x7fdel", "a control character (character 15 of 18)"),
    ("tok-abcdéf0123", "a non-ASCII character (character 9 of 14)"),
]


@pytest.mark.parametrize(("token", "words"), BAD_TOKENS)
def test_a_token_that_cannot_be_sent_is_refused_unseen(
    emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch, token: str, words: str
) -> None:
    """The issue: a token containing a newline was printed in the error (`Illegal header value b'Bearer ...`)."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", token)
    before = emulator.stats()["total"]
    for args in (["plan"], ["apply", "--yes"], ["import", ZONE, "-o", "-"]):
        result = run(*args)
        assert result.exit_code == 1, output(result)
        assert f"CLOUDFLARE_API_TOKEN holds {words}" in output(result)
        assert "(the value is not shown)" in output(result)
        for part in token.split():
            assert part[:10] not in output(result)
    assert emulator.stats()["total"] == before  # refused before any request


def test_surrounding_whitespace_is_trimmed(emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "  test-token\n")
    result = run("plan", "--exit-code")
    assert result.exit_code == 2, output(result)
    assert check_token("\ttest-token \n") == "test-token"


def test_header_values_never_reach_output_even_past_the_check(
    emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the token check, httpx refuses the header with an error quoting it: the message that
    reaches the user is scrubbed all the same (defence in depth for every other secret-bearing error)."""
    token = "tok-abcdef0123\nsecret-tail-456"
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", token)
    monkeypatch.setattr("zonesync.cloudflare.accounts.check_token", lambda value, env: value)
    result = run("-v", "plan")
    assert result.exit_code == 1
    text = output(result)
    assert "tok-abcdef0123" not in text and "secret-tail-456" not in text, text
    assert "Bearer" not in text or "Bearer [redacted]" in text


def test_exception_text_with_a_header_is_scrubbed(
    emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any error (an API error, an internal one, a log line) that quotes an Authorization header or the
    token is printed without it."""
    from zonesync.cloudflare.provider import CloudflareProvider

    def leak(self, *args, **kwargs):
        logging.getLogger("zonesync").warning("sent {'Authorization': 'Bearer test-token'} to the API")
        raise RuntimeError(
            "Illegal header value b'Bearer test-token', headers: Authorization: Bearer test-token"
        )

    monkeypatch.setattr(CloudflareProvider, "find_zones", leak)
    result = run("-v", "plan")
    assert result.exit_code == 1
    assert "test-token" not in output(result), output(result)
    assert "Illegal header value b'Bearer [redacted]'" in output(result)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Illegal header value b'Bearer abc\\ndef'", "Illegal header value b'Bearer [redacted]'"),
        ("{'Authorization': 'Bearer xyz', 'a': 'b'}", "{'Authorization': 'Bearer [redacted]', 'a': 'b'}"),
        ("{b'authorization': b'Bearer xyz'}", "{b'authorization': b'Bearer [redacted]'}"),
        ("Authorization: Bearer tok", "Authorization: Bearer [redacted]"),
        ("X-Auth-Key: abcdef", "X-Auth-Key: [redacted]"),
        ("the token s3cr3t-t0ken appears", "the token [redacted] appears"),
        ("escaped s3cr3t\\nsecond-half", "escaped [redacted]"),
        ("cut s3cr3t then second-half", "cut [redacted] then [redacted]"),
        ("quoted in part: 3cr3t-t0ke.", "quoted in part: [redacted]."),
        ("eight of it: cr3t-t0k", "eight of it: [redacted]"),
        ("seven of it: r3t-t0k", "seven of it: r3t-t0k"),
        ("zone example.com: HTTP 400: bad request", "zone example.com: HTTP 400: bad request"),
    ],
)
def test_scrub(text: str, expected: str) -> None:
    assert scrub(text, ["s3cr3t-t0ken", "s3cr3t\nsecond-half"]) == expected


def test_a_short_secret_is_masked_only_where_it_stands_alone() -> None:
    """A one-letter value used to turn the scrubber into a leak of where its letter is ("S[redacted]ved")."""
    assert scrub("Saved the plan", ["S"]) == "Saved the plan"
    assert scrub("the key is S.", ["S"]) == "the key is [redacted]."


def test_a_server_message_quoting_most_of_the_token_is_scrubbed(emulator, workdir: Path) -> None:
    """An API error that quotes the token without its first and last characters: none of it is printed."""
    token = "test-token"  # the emulator's
    emulator.inject_fault(status=400, code=1004, message=f"token {token[1:-1]} is not valid here")
    result = run("plan")
    assert result.exit_code == 1, output(result)
    text = output(result)
    assert "Error: " in text and "[redacted]" in text, text
    assert not any(token[i : i + 8] in text for i in range(len(token) - 7)), text


# -- the plan key ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["S", "k-123456", "x" * 31])
def test_a_short_plan_key_is_refused(
    emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    """A key shorter than 32 bytes can be guessed; the message says how to make a good one, never the key."""
    monkeypatch.setenv(saved_plan.KEY_ENV, key)
    for args in (["plan", "--out", "plan.json"], ["plan", "--format", "json"]):
        result = run(*args)
        assert result.exit_code == 1, output(result)
        text = output(result)
        assert f"ZONESYNC_PLAN_KEY is {len(key)} bytes long, less than the 32" in text
        assert "secrets.token_hex(32)" in text and "openssl rand -hex 32" in text
        assert "Traceback" not in text
    assert not Path("plan.json").exists()
    monkeypatch.setenv(saved_plan.KEY_ENV, "x" * 32)
    assert run("plan", "--out", "plan.json").exit_code == 0


def test_an_empty_plan_key_is_an_error(emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub Actions passes "" for a secret the workflow cannot see; it used to turn signing off."""
    monkeypatch.setenv(saved_plan.KEY_ENV, "")
    result = run("plan", "--out", "plan.json")
    assert result.exit_code == 1 and "ZONESYNC_PLAN_KEY is set but empty" in output(result)
    assert not Path("plan.json").exists()
    monkeypatch.setenv(saved_plan.KEY_ENV, "  ")
    assert run("plan", "--format", "json").exit_code == 1


def test_a_tampered_plan_does_not_apply_under_an_empty_key(
    emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack: edit a signed plan, recompute a plain digest, and hope the key reaches apply empty."""
    monkeypatch.setenv(saved_plan.KEY_ENV, "the-real-key-" + "0" * 32)
    assert run("plan", "--out", "plan.json").exit_code == 0
    doc = json.loads(Path("plan.json").read_text())
    doc["zones"][0]["changes"][0]["after"]["content"] = "203.0.113.66"
    body = {k: v for k, v in doc.items() if k != "digest"}
    doc["digest"] = "sha256:" + hashlib.sha256(saved_plan.canonical(body)).hexdigest()
    Path("plan.json").write_text(json.dumps(doc))
    monkeypatch.setenv(saved_plan.KEY_ENV, "")
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 1 and "ZONESYNC_PLAN_KEY is set but empty" in output(result)
    assert user_records(emulator, ZONE) == []


# -- --require-signed -------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "env"])
def test_require_signed_refuses_an_unsigned_plan(
    emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    assert run("plan", "--out", "plan.json").exit_code == 0  # no key: a plain sha256 digest
    args = ["apply", "--yes", "plan.json"]
    if how == "flag":
        args.insert(1, "--require-signed")
    else:
        monkeypatch.setenv(saved_plan.REQUIRE_SIGNED_ENV, "1")
    result = run(*args)
    assert result.exit_code == 3, output(result)
    assert "the plan is not signed, and unsigned plans are refused here" in output(result)
    assert user_records(emulator, ZONE) == []

    monkeypatch.setenv(saved_plan.KEY_ENV, "k-123456" * 4)
    assert run("plan", "--out", "signed.json").exit_code == 0
    result = run(*[a if a != "plan.json" else "signed.json" for a in args])
    assert result.exit_code == 0, output(result)
    assert len(user_records(emulator, ZONE)) == 2


def test_require_signed_off_by_default_and_with_0(
    emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("plan", "--out", "plan.json").exit_code == 0
    monkeypatch.setenv(saved_plan.REQUIRE_SIGNED_ENV, "0")
    assert run("apply", "--yes", "plan.json").exit_code == 0


def test_the_ci_recipes_require_signed_plans() -> None:
    github = yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text())
    assert github["jobs"]["apply"]["env"][saved_plan.REQUIRE_SIGNED_ENV] == "1"
    gitlab = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text())
    assert gitlab["dns-apply"]["variables"][saved_plan.REQUIRE_SIGNED_ENV] == "1"


def test_every_accounts_token_is_checked_and_scrubbed() -> None:
    """With an accounts file (zonesync.yaml) each account has its own token variable."""
    from zonesync.cloudflare import accounts
    from zonesync.cloudflare.tokens import TokenError

    shop = accounts.Account("a" * 32, "CF_TOKEN_SHOP", ("*.example",), accounts.DEFAULT_ACCOUNT.source)
    with pytest.raises(TokenError) as exc:
        accounts.tokens_for({shop: ["shop.example"]}, {"CF_TOKEN_SHOP": "shop-token-1\nrest"})
    assert "CF_TOKEN_SHOP holds a line break" in exc.value.message and "shop-token" not in exc.value.message
    tokens = accounts.tokens_for({shop: ["shop.example"]}, {"CF_TOKEN_SHOP": "shop-token-2345"})
    assert tokens == {shop: "shop-token-2345"}
    assert scrub("401 for shop-token-2345 at /zones") == "401 for [redacted] at /zones"
