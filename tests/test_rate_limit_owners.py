"""Cloudflare's documented API rate limits in the emulator (fundamentals/api/reference/limits): a budget per
user over all of the user's tokens (an account-owned token has its own), a block once it is spent, a limit
per client address, and the `Ratelimit` headers on every answer, authentication failures included; and
zonesync's client limiter against them: two `zonesync apply` processes with two tokens of one user."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from emu_records import user_records
from test_shared_budget import ZONES_EACH, applies_at_once, write_zones

from zonesync.emulator.server import Emulator

OWNERS = {"alice-ci": "alice", "alice-laptop": "alice"}
TOKENS = ("alice-ci", "alice-laptop", "account-token")


def get(emu: Emulator, token: str | None = "alice-ci") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(emu.url + "/zones", headers=headers)


def test_user_tokens_share_one_budget_and_an_account_token_has_its_own() -> None:
    with Emulator(tokens=TOKENS, token_owners=OWNERS, rate_limit=(3, 60), ip_rate_limit=0) as emu:
        assert get(emu, "alice-ci").headers["Ratelimit"] == '"default";r=2;t=60'
        assert get(emu, "alice-laptop").headers["Ratelimit"] == '"default";r=1;t=60'
        assert get(emu, "alice-ci").status_code == 200
        refused = get(emu, "alice-laptop")  # the user's fourth request: over, whichever token
        assert refused.status_code == 429 and refused.json()["errors"][0]["code"] == 971
        assert refused.headers["Retry-After"] == "60" and refused.headers["Ratelimit"] == '"default";r=0;t=60'
        own = get(emu, "account-token")
        assert own.status_code == 200 and own.headers["Ratelimit"] == '"default";r=2;t=60'
        assert emu.limiter.admitted == {"alice": 3, "account-token": 1}


def test_once_spent_every_call_is_blocked_for_the_block_then_a_new_window() -> None:
    """The block runs from the refused request (Retry-After: the block, not what is left of the window)."""
    with Emulator(tokens=TOKENS, token_owners=OWNERS, rate_limit=(2, 30), rate_limit_block=1.5) as emu:
        assert [get(emu).status_code for _ in range(3)] == [200, 200, 429]
        blocked = get(emu, "alice-laptop")  # the other token of the same user: blocked too
        assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "2"
        assert get(emu, "account-token").status_code == 200  # its own budget
        time.sleep(1.6)
        again = get(emu)
        assert again.status_code == 200 and again.headers["Ratelimit"] == '"default";r=1;t=30'


def test_authentication_failures_carry_the_per_address_budget() -> None:
    with Emulator(tokens=TOKENS, rate_limit=(1200, 300), ip_rate_limit=(200, 1)) as emu:
        for token in (None, "not-a-token", "bad token!"):
            answer = get(emu, token)
            assert answer.status_code in (400, 403)
            assert answer.headers["Ratelimit"].startswith('"ip";r=')
            assert answer.headers["Ratelimit-Policy"] == '"ip";q=200;w=1'
        assert get(emu).headers["Ratelimit"].startswith('"default";r=1199;')  # the user's own budget


def test_per_address_limit_refuses_the_burst_authenticated_or_not() -> None:
    with Emulator(tokens=TOKENS, rate_limit=(1200, 300), ip_rate_limit=(5, 1)) as emu:
        codes = [get(emu, t).status_code for t in ("alice-ci", None, "account-token", "alice-ci", "x", "y")]
        assert codes[:5] == [200, 400, 200, 200, 403] and codes[5] == 429
        assert get(emu).headers["Retry-After"] == "1"
        time.sleep(1.1)
        assert get(emu).status_code == 200


def test_two_applies_with_two_tokens_of_one_user_stay_under_the_users_budget(tmp_path: Path) -> None:
    """Each run has its own token and its own client limiter; only the answers' `Ratelimit` headers tell it
    what the other run spends. Both finish, nothing is refused, every request counted against the user."""
    limit, window = 30, 2.0
    first, second = write_zones(tmp_path / "a", "a"), write_zones(tmp_path / "b", "b")
    with Emulator(
        tokens=TOKENS, token_owners=OWNERS, zones=(*first, *second), rate_limit=(limit, window)
    ) as emu:
        runs, outputs = applies_at_once(tmp_path, emu, ("alice-ci", "alice-laptop"))
        stats = emu.stats()
        for proc, out in zip(runs, outputs, strict=True):
            assert proc.returncode == 0, out
        assert stats["total"] == 2 * (1 + 2 * ZONES_EACH) > limit
        assert stats["by_status"] == {"200": stats["total"]}, stats["by_status"]
        assert emu.limiter.admitted == {"alice": stats["total"]}
        for names in (first, second):
            assert all(len(user_records(emu, name)) == 2 for name in names)
