"""The client-side rate limiter (zonesync.cloudflare.ratelimit), alone and shared by 50 zones against the emulator."""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path

import pytest
from click.testing import CliRunner
from emu_records import user_records

from zonesync.cli import cli
from zonesync.cloudflare import ratelimit
from zonesync.cloudflare import ratelimit as ratelimit_module
from zonesync.emulator.server import Emulator


@pytest.mark.parametrize(
    ("spec", "requests", "window"),
    [
        ("1200/300", 1200, 300.0),
        ("60/5s", 60, 5.0),
        ("1200/5m", 1200, 300.0),
        ("10", 10, 1.0),
        (" 4 / 0.5 ", 4, 0.5),
    ],
)
def test_parse(spec: str, requests: int, window: float) -> None:
    assert ratelimit.parse(spec) == ratelimit.Rate(requests, window)


@pytest.mark.parametrize("spec", ["off", "OFF", "none", "0"])
def test_parse_off(spec: str) -> None:
    assert ratelimit.parse(spec) is None
    assert ratelimit.from_setting(spec) is None


@pytest.mark.parametrize("spec", ["fast", "10/", "/5", "10/0", "-1/5"])
def test_parse_errors(spec: str) -> None:
    with pytest.raises(ValueError, match=r"REQUESTS/SECONDS|at least 1"):
        ratelimit.parse(spec)


def test_default_is_cloudflares_limit() -> None:
    limiter = ratelimit.from_setting(None)
    assert limiter is not None and limiter.rate == ratelimit.Rate(1200, 300.0)
    assert limiter.window > 300.0  # a little slack for network jitter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_blocks_until_the_oldest_request_leaves_the_window() -> None:
    clock = FakeClock()
    limiter = ratelimit.RateLimiter(ratelimit.Rate(3, 10.0), clock=clock, sleep=clock.sleep, slack=0.0)
    for _ in range(3):
        limiter.acquire()
    assert clock.sleeps == []
    clock.now = 4.0
    limiter.acquire()  # 4th: waits until t=10, when the first three are 10 s old
    assert clock.now == pytest.approx(10.0)
    clock.now = 12.0
    limiter.acquire()  # 5th and 6th: room for two more since t=10
    limiter.acquire()
    assert clock.now == pytest.approx(12.0)
    limiter.acquire()  # 7th: waits for the t=10 request to leave the window
    assert clock.now == pytest.approx(20.0)
    assert limiter.acquired == 7


def test_thread_safe_no_window_ever_holds_more_than_the_limit() -> None:
    limiter = ratelimit.RateLimiter(ratelimit.Rate(10, 0.2), slack=0.0)
    starts: list[float] = []

    class Log(deque):
        def append(self, t: float) -> None:  # called under the limiter's lock with the start time
            starts.append(t)
            super().append(t)

    limiter._starts = Log()

    def worker() -> None:
        for _ in range(5):
            limiter.acquire()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(starts) == 40 and starts == sorted(starts)
    for i in range(len(starts) - 10):
        # any 11 consecutive starts span at least one window
        assert starts[i + 10] - starts[i] >= 0.2


def test_bad_rate_limit_option_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--rate-limit", "fast", "plan", str(tmp_path / "x.yaml")])
    assert result.exit_code == 1


N_ZONES = 50
LIMIT, WINDOW = 60, 1.0


@pytest.fixture
def fifty(monkeypatch: pytest.MonkeyPatch):
    names = [f"zone{i:02d}.example" for i in range(N_ZONES)]
    emu = Emulator(tokens=("test-token",), zones=names, rate_limit=(LIMIT, WINDOW)).start()
    refused: list[float] = []
    hit = emu.limiter.hit

    def counting_hit(token: str):
        allowed, headers = hit(token)
        if not allowed:
            refused.append(time.monotonic())
        return allowed, headers

    monkeypatch.setattr(emu.limiter, "hit", counting_hit)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "test-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    monkeypatch.setenv("NO_COLOR", "1")
    try:
        yield emu, names, refused
    finally:
        emu.stop()


def test_fifty_zones_concurrently_under_a_low_rate_limit(fifty, tmp_path: Path, monkeypatch) -> None:
    emu, names, refused = fifty
    monkeypatch.chdir(tmp_path)
    zones = tmp_path / "zones"
    zones.mkdir()
    # Written in reverse order: output order follows the (sorted) file list, not completion order.
    for i, name in reversed(list(enumerate(names))):
        (zones / f"{name}.yaml").write_text(
            f"zone: {name}\nrecords:\n  www:\n    type: A\n    value: 192.0.2.{i + 1}\n"
            f"  '@':\n    type: TXT\n    value: zone number {i}\n"
        )
    runner = CliRunner()
    rate = ["--rate-limit", f"{LIMIT}/{WINDOW:g}"]
    result = runner.invoke(cli, [*rate, "plan", "--out", "plan.json"])
    assert result.exit_code == 0, result.output
    # The limiter lives for one run; Cloudflare's window outlives it. Separate runs (CI jobs) are
    # minutes apart; here, wait out the server's window so each run starts with a fresh one.
    time.sleep(WINDOW + 0.1)
    order = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("zone")]
    assert order == names
    before, started = emu.stats()["total"], time.monotonic()
    result = runner.invoke(cli, [*rate, "apply", "--yes", "plan.json"])
    assert result.exit_code == 0, result.output
    apply_requests, apply_time = emu.stats()["total"] - before, time.monotonic() - started
    assert apply_requests > LIMIT  # one lookup, 50 listings, 50 batches...
    assert apply_time >= WINDOW  # ...so the limiter had to pace them
    applied = [line.split(":")[0] for line in result.stdout.splitlines() if ": applied (" in line]
    assert applied == names
    time.sleep(WINDOW + 0.1)
    result = runner.invoke(cli, [*rate, "plan", "--exit-code"])
    assert result.exit_code == 0, result.output

    total = emu.stats()["total"]
    assert refused == [], f"{len(refused)} requests got 429"
    assert total >= 3 * N_ZONES + 50  # 3 listings per zone and 50 batches went through the limiter
    for i, name in enumerate(names):
        got = {(r["name"], r["type"], r["content"]) for r in user_records(emu, name)}
        assert got == {(f"www.{name}", "A", f"192.0.2.{i + 1}"), (name, "TXT", f'"zone number {i}"')}


# -- the server's budget (Ratelimit headers) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratelimit", "policy", "budget"),
    [
        ('"default";r=50;t=30', '"default";q=100;w=60', ratelimit_module.Budget(50, 30.0, 100)),
        ('"default";r=50;t=30', None, ratelimit_module.Budget(50, 30.0, None)),
        (
            '"burst";r=9;t=3, "default";r=50;t=30',
            '"burst";q=10;w=5, "default";q=1200;w=300',
            ratelimit_module.Budget(9, 3.0, 10),
        ),
        ("default;r=7;t=1", '"burst";q=100;w=60', ratelimit_module.Budget(7, 1.0, 100)),
    ],
)
def test_parse_budget(ratelimit: str, policy: str | None, budget: ratelimit.Budget) -> None:
    assert ratelimit_module.parse_budget(ratelimit, policy) == budget


@pytest.mark.parametrize("value", [None, "", '"default"', '"default";r=x;t=3', '"default";r=-1;t=3'])
def test_malformed_budget_is_ignored(value: str | None) -> None:
    assert ratelimit_module.parse_budget(value) is None


def headers(remaining: int, reset: int, quota: int = 100, retry: int | None = None) -> dict[str, str]:
    out = {"ratelimit": f'"default";r={remaining};t={reset}', "ratelimit-policy": f'"default";q={quota};w=60'}
    if retry is not None:
        out["retry-after"] = str(retry)
    return out


def paced_limiter() -> tuple[ratelimit_module.RateLimiter, FakeClock]:
    clock = FakeClock()
    rate = ratelimit_module.Rate(10_000, 60.0)  # the local window never binds here
    return ratelimit_module.RateLimiter(rate, clock=clock, sleep=clock.sleep, slack=0.0), clock


def test_no_pacing_while_half_the_quota_is_left() -> None:
    limiter, clock = paced_limiter()
    for remaining in range(99, 49, -1):
        limiter.acquire()
        limiter.observe(headers(remaining, 60))
    assert clock.sleeps == []


def test_paced_so_the_rest_lasts_until_the_reset() -> None:
    limiter, clock = paced_limiter()
    limiter.acquire()
    limiter.observe(headers(42, 40))  # someone else spent most of the budget: 42 left for 40 s
    limiter.acquire()
    # 42 left, 2 kept in reserve: one request every 40 / 40 = 1 s
    assert clock.now == pytest.approx(1.0)
    limiter.observe(headers(41, 39))
    limiter.acquire()
    assert clock.now == pytest.approx(2.0, abs=0.05)


def test_the_reserve_is_never_spent_and_a_429_waits_for_retry_after() -> None:
    limiter, clock = paced_limiter()
    limiter.acquire()
    limiter.observe(headers(2, 10))
    limiter.acquire()  # only the reserve is left: wait for the window to reset
    assert clock.now == pytest.approx(10.0)
    limiter.observe(headers(0, 5, retry=5))
    limiter.acquire()
    assert clock.now == pytest.approx(15.0)
    limiter.observe(headers(99, 60))  # a new window
    limiter.acquire()
    assert clock.now == pytest.approx(15.0)


def test_answers_in_flight_count_against_the_budget() -> None:
    limiter, clock = paced_limiter()
    limiter.acquire()
    limiter.observe(headers(56, 60))
    for _ in range(7):  # the 7th sees 56 - 6 in flight = 50 left: still half the quota
        limiter.acquire()
    assert clock.sleeps == []
    limiter.acquire()  # 56 - 7 = 49 left: paced
    assert clock.sleeps


def test_out_of_order_answers_keep_the_lowest_remaining() -> None:
    limiter, clock = paced_limiter()
    limiter.acquire()
    limiter.acquire()
    limiter.observe(headers(2, 10))
    limiter.observe(headers(9, 10))  # an older answer arriving late (7 were in flight)
    limiter.acquire()
    assert clock.now == pytest.approx(10.0)


def test_a_new_window_is_recognised_even_before_the_estimated_reset() -> None:
    """`t` is rounded up, so the next window's answers can come before the reset we estimated: a count
    that went back up (or a later reset than rounding explains) starts the new window, instead of keeping
    the old window's low count for ever."""
    limiter, clock = paced_limiter()
    limiter.acquire()
    limiter.observe(headers(10, 5))  # 10 left for (at most) 5 s
    clock.now = 4.5
    limiter.acquire()
    limiter.observe(headers(99, 60))  # the server's window has already reset
    before = clock.now
    limiter.acquire()
    assert clock.now == before  # no pacing: 99 of 100 left
    limiter.observe(headers(98, 60))
    limiter.observe(headers(99, 60))  # an older answer of this window arriving late: still 98
    assert limiter._remaining == 98
