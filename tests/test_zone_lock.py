"""The zone lock (issue 21, item 2): two applies that share only the API endpoint (separate checkouts,
HOME and TMPDIR) never mix their zone files; a lock left by a killed run expires."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.test_pipeline_safety import ZONE, env_for, names, write_zone, zonesync
from zonesync.emulator.server import Emulator
from zonesync.zonelock import LockRecord, LockSession, held_content, lock_name

COUNT = 40


def test_held_content_round_trip() -> None:
    rec = LockRecord("x", held_content(2_000_000_000, "abcdef012345"))
    assert rec.holder == "abcdef012345" and rec.expires == 2_000_000_000
    assert rec.held_by_other("ffffffffffff", 1_999_999_999) and not rec.held_by_other("abcdef012345", 0)
    assert not rec.held_by_other("ffffffffffff", 2_000_000_001)  # expired
    assert lock_name("example.com") == "_zonesync-lock.example.com"
    session = LockSession(rec, holder="ffffffffffff")
    ops = session.ops(2_000_000_500, last=False)
    assert ops["deletes"] == [{"id": "x"}] and ops["posts"][0]["type"] == "CNAME"  # breaks the expired hold


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
        env = env_for(emu.url, first / "home", ZONESYNC_LOCK_LEASE="3")
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
        # waiting allowed: the hold expires (3 s lease), then the run applies
        env3 = env_for(emu.url, second / "home", ZONESYNC_LOCK_TIMEOUT="30")
        p3 = zonesync("apply", "--yes", f"zones/{ZONE}.yaml", env=env3, cwd=second)
        out, err = p3.communicate(timeout=60)
        assert p3.returncode == 0, out + err
        assert names(emu) == {f"b{i}.{ZONE}" for i in range(10)}  # no lock record left either
