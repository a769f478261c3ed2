"""The zone lock (issue 21, item 2): two applies that share only the API endpoint (separate checkouts,
HOME and TMPDIR) never mix their zone files; a lock left by a killed run expires."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from unittest.mock import ANY

import pytest
from emu_records import lock_records

from tests.test_pipeline_safety import ZONE, env_for, names, write_zone, zonesync
from zonesync.emulator.server import Emulator
from zonesync.plan.zone_lock import LockRecord, LockSession, free_content, held_content, lock_name

COUNT = 40


def test_held_content_round_trip() -> None:
    rec = LockRecord("x", held_content(2_000_000_000, "abcdef012345", 7))
    assert rec.holder == "abcdef012345" and rec.expires == 2_000_000_000 and rec.generation == 7
    assert rec.held_by_other("ffffffffffff", 1_999_999_999) and not rec.held_by_other("abcdef012345", 0)
    assert not rec.held_by_other("ffffffffffff", 2_000_000_001)  # expired
    assert lock_name("example.com") == "_zonesync-lock.example.com"
    legacy = LockRecord("x", "2000000000.abcdef012345.lock.zonesync.invalid")  # before the record stayed
    assert (legacy.holder, legacy.expires, legacy.generation) == ("abcdef012345", 2_000_000_000, 0)
    free = LockRecord("y", free_content(41, "abcdef012345"))
    assert (free.holder, free.expires, free.generation) == (None, 0, 41)
    assert not free.held_by_other("ffffffffffff", 0)
    assert LockRecord("z", "somebody.else.example").holder is None  # not zonesync's: free


def test_every_apply_replaces_the_record_it_read() -> None:
    """The first batch deletes the record read by its id and posts this run's; a one-batch apply posts it
    free at once; later batches patch it; the last leaves it free, one generation on."""
    read = LockRecord("old", free_content(4, "aaaaaaaaaaaa"))
    one = LockSession(read, holder="bbbbbbbbbbbb")
    ops = one.ops(1000, last=True)
    assert ops["deletes"] == [{"id": "old"}]
    assert [p["content"] for p in ops["posts"]] == [free_content(5, "bbbbbbbbbbbb")]
    assert "patches" not in ops

    many = LockSession(read, holder="bbbbbbbbbbbb", lease=60)
    first = many.ops(1000, last=False)
    assert first["deletes"] == [{"id": "old"}]
    assert first["posts"][0]["content"] == held_content(1060, "bbbbbbbbbbbb", 5)
    many.landed(LockRecord("new", first["posts"][0]["content"]))
    assert many.held == "new"
    assert many.ops(2000, last=False) == {
        "patches": [{"id": "new", "content": held_content(2060, "bbbbbbbbbbbb", 5)}]
    }
    many.landed(LockRecord("new", held_content(2060, "bbbbbbbbbbbb", 5)))
    assert many.ops(3000, last=True) == {
        "patches": [{"id": "new", "content": free_content(5, "bbbbbbbbbbbb")}]
    }
    many.landed(LockRecord("new", free_content(5, "bbbbbbbbbbbb")))
    assert many.held is None and many.current == LockRecord("new", free_content(5, "bbbbbbbbbbbb"))

    first_time = LockSession(None, holder="cccccccccccc")  # no record yet: only a post (the CNAME rule)
    assert first_time.ops(1000, last=True) == {"deletes": [], "posts": [ANY]}

    expired = LockSession(LockRecord("x", held_content(500, "dddddddddddd", 2)), holder="cccccccccccc")
    ops = expired.ops(1000, last=False)  # an expired hold, broken the same way
    assert ops["deletes"] == [{"id": "x"}] and ops["posts"][0]["content"] == held_content(
        1600, "cccccccccccc", 3
    )


@pytest.mark.parametrize("attempt", range(3))
def test_two_runs_never_mix(tmp_path: Path, attempt: int) -> None:
    with Emulator(zones=(ZONE,), rate_limit=0, latency=0.02) as emu:
        runs = []
        for side in ("a", "b"):
            checkout = tmp_path / side
            write_zone(checkout, side, COUNT)
            env = env_for(emu.url, checkout / "home", ZONESYNC_LOCK_TIMEOUT="30")
            args = ("apply", "--yes", "--batch-size", "5", f"zones/{ZONE}.yaml")
            runs.append(zonesync(*args, env=env, cwd=checkout))
        results = [(p.wait(timeout=120), *p.communicate()) for p in runs]
        live = names(emu)
        a = {f"a{i}.{ZONE}" for i in range(COUNT)}
        b = {f"b{i}.{ZONE}" for i in range(COUNT)}
        assert live in (a, b), f"a mix: {len(live & a)} of a, {len(live & b)} of b; {results}"
        codes = sorted(code for code, _, _ in results)
        assert codes in ([0, 0], [0, 3]), results
        for code, _out, err in results:
            if code == 3:
                assert "nothing was written" in err


def test_killed_holder_lock_expires(tmp_path: Path) -> None:
    with Emulator(zones=(ZONE,), rate_limit=0, latency=0.2) as emu:
        first = tmp_path / "first"
        write_zone(first, "a", 30)
        # the lease outlasts a slow start of the next run on a loaded machine
        env = env_for(emu.url, first / "home", ZONESYNC_LOCK_LEASE="15")
        proc = zonesync("apply", "--yes", "--batch-size", "5", f"zones/{ZONE}.yaml", env=env, cwd=first)
        while emu.stats()["by_route"].get("POST /zones/:id/dns_records/batch", 0) < 2:
            assert proc.poll() is None
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(0.5)  # a batch the killed run had sent still lands (the emulator's latency is 0.2 s)
        locks = [r for r in emu.records(ZONE) if r["name"] == lock_name(ZONE)]
        assert len(locks) == 1  # the killed run's hold stays until it expires

        second = tmp_path / "second"
        write_zone(second, "b", 10)
        # no waiting allowed: stops at once, naming the holder, writing nothing
        before = emu.records(ZONE)
        env2 = env_for(emu.url, second / "home", ZONESYNC_LOCK_TIMEOUT="0")
        p2 = zonesync("apply", "--yes", f"zones/{ZONE}.yaml", env=env2, cwd=second)
        out, err = p2.communicate(timeout=60)
        assert p2.returncode == 1, out + err
        assert "locked by another zonesync apply (run " in err and "nothing was written" in err
        assert emu.records(ZONE) == before
        # waiting allowed: the hold expires (15 s lease), then the run applies
        env3 = env_for(emu.url, second / "home", ZONESYNC_LOCK_TIMEOUT="30")
        p3 = zonesync("apply", "--yes", f"zones/{ZONE}.yaml", env=env3, cwd=second)
        out, err = p3.communicate(timeout=60)
        assert p3.returncode == 0, out + err
        assert names(emu) == {f"b{i}.{ZONE}" for i in range(10)}
        [lock] = lock_records(emu, ZONE)  # the lock record stays, free
        assert LockRecord(lock["id"], lock["content"]).holder is None
