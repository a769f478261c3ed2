"""The permanent zone lock record (issue 21, item 2, the race left open): run A reads the zone, run B
then completes its whole apply, and only then does A send its first batch. A's first batch deletes the
lock record by the id A read (or, when none existed, posts one), so it fails whole at Cloudflare, and A
stops (exit 3) writing nothing. Also: the record stays free between applies and zonesync never shows it;
no zone file may declare a record at its name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from emu_records import lock_records

from tests.test_pipeline_safety import ZONE, env_for, names, write_zone, zonesync
from zonesync.cloudflare.provider import CloudflareProvider
from zonesync.emulator.server import Emulator
from zonesync.plan import saved_plan
from zonesync.plan.zone_lock import LockRecord, lock_name
from zonesync.run import orchestrate
from zonesync.zonefile import load

KEY = "k" * 40


def lock_of(emu: Emulator) -> LockRecord:
    [rec] = lock_records(emu, ZONE)
    return LockRecord(rec["id"], rec["content"])


def apply_cli(emu: Emulator, checkout: Path, *args: str) -> tuple[int, str, str]:
    env = env_for(emu.url, checkout / "home", ZONESYNC_PLAN_KEY=KEY)
    proc = zonesync("apply", "--yes", *args, env=env, cwd=checkout)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def side(tmp_path: Path, prefix: str, count: int) -> Path:
    checkout = tmp_path / prefix
    write_zone(checkout, prefix, count)
    return checkout


def expected(prefix: str, count: int) -> set[str]:
    return {f"{prefix}{i}.{ZONE}" for i in range(count)}


@pytest.mark.parametrize("attempt", range(10))
def test_two_one_batch_applies_never_mix(tmp_path: Path, attempt: int) -> None:
    """Two one-batch applies of different zone files started together: the zone ends with one file's
    records, never a mix. Odd attempts start from a zone an apply already wrote (the lock record exists,
    free: both delete it by id), even ones from a zone without it (both post it: the CNAME rule)."""
    with Emulator(zones=(ZONE,), rate_limit=0, latency=0.01) as emu:
        if attempt % 2:
            assert apply_cli(emu, side(tmp_path, "c", 1), f"zones/{ZONE}.yaml")[0] == 0
            assert lock_of(emu).holder is None
        runs = []
        for prefix in ("a", "b"):
            checkout = side(tmp_path, prefix, 10)
            env = env_for(emu.url, checkout / "home", ZONESYNC_LOCK_TIMEOUT="30")
            runs.append(zonesync("apply", "--yes", f"zones/{ZONE}.yaml", env=env, cwd=checkout))
        results = [(p.wait(timeout=120), *p.communicate()) for p in runs]
        live = names(emu)
        assert live in (expected("a", 10), expected("b", 10)), f"a mix: {sorted(live)}; {results}"
        codes = sorted(code for code, _, _ in results)
        assert codes in ([0, 0], [0, 3]), results
        for code, _out, err in results:
            if code == 3:
                # nothing of its own written: at most "already live" (the other run's same deletes)
                assert "the zone changed since it was planned" in err and "plan again" in err
        assert len(lock_records(emu, ZONE)) == 1 and lock_of(emu).holder is None


@pytest.mark.parametrize("lock_existed", [False, True])
@pytest.mark.parametrize("batches", ["one", "several"])
def test_a_reads_b_applies_a_writes_nothing(tmp_path: Path, lock_existed: bool, batches: str) -> None:
    """Forced deterministically: A plans (its read), B runs its whole apply through the CLI, then A applies
    what it planned. Before the lock record stayed, A's first batch found no lock and landed: the zone
    mixed both files (for a one-batch apply always)."""
    with Emulator(zones=(ZONE,), rate_limit=0) as emu:
        if lock_existed:
            assert apply_cli(emu, side(tmp_path, "c", 1), f"zones/{ZONE}.yaml")[0] == 0
        a = side(tmp_path, "a", 12)
        provider = CloudflareProvider("test-token", base_url=emu.url, max_retries=0)
        try:
            zones = orchestrate.plan_for_apply(provider, load.load_configs([a / f"zones/{ZONE}.yaml"]))
            code, out, err = apply_cli(emu, side(tmp_path, "b", 5), f"zones/{ZONE}.yaml")  # B, whole
            assert code == 0, out + err
            b_state = emu.records(ZONE)
            [outcome] = orchestrate.apply(
                provider, zones, confirm=lambda: None, batch_size=5 if batches == "several" else None
            )
        finally:
            provider.close()
        assert outcome.report.stale and outcome.report.batches == 0
        assert "the zone changed since it was planned" in (outcome.report.error or "")
        # "already live" at most: B's own deletes of the records both planned to delete
        assert all(c.action == "delete" for c in outcome.report.applied)
        assert emu.records(ZONE) == b_state  # nothing of A: not a record, not the lock
        assert names(emu) == expected("b", 5)


def test_a_saved_plan_read_then_b_applies_is_refused(tmp_path: Path) -> None:
    """The same interleaving for a saved plan: A's apply checks the plan against the zone (its read), B
    applies, A's first batch fails on the lock record B replaced."""
    with Emulator(zones=(ZONE,), rate_limit=0) as emu:
        assert apply_cli(emu, side(tmp_path, "c", 1), f"zones/{ZONE}.yaml")[0] == 0
        a = side(tmp_path, "a", 3)
        env = env_for(emu.url, a / "home", ZONESYNC_PLAN_KEY=KEY)
        proc = zonesync("plan", "--out", "plan.json", f"zones/{ZONE}.yaml", env=env, cwd=a)
        assert proc.wait(timeout=60) == 0, proc.communicate()
        saved = saved_plan.load(a / "plan.json", KEY)
        provider = CloudflareProvider("test-token", base_url=emu.url, max_retries=0)
        try:
            zones = orchestrate.saved_for_apply(provider, saved)  # A's read: still as planned
            assert apply_cli(emu, side(tmp_path, "b", 4), f"zones/{ZONE}.yaml")[0] == 0  # B, whole
            b_state = emu.records(ZONE)
            [outcome] = orchestrate.apply(provider, zones, confirm=lambda: None)
        finally:
            provider.close()
        assert outcome.report.stale and "the zone changed since it was planned" in (
            outcome.report.error or ""
        )
        assert emu.records(ZONE) == b_state and names(emu) == expected("b", 4)


def test_b_between_a_plan_and_its_saved_apply(tmp_path: Path) -> None:
    with Emulator(zones=(ZONE,), rate_limit=0) as emu:
        a = side(tmp_path, "a", 3)
        env = env_for(emu.url, a / "home", ZONESYNC_PLAN_KEY=KEY)
        proc = zonesync("plan", "--out", "plan.json", f"zones/{ZONE}.yaml", env=env, cwd=a)
        assert proc.wait(timeout=60) == 0
        assert apply_cli(emu, side(tmp_path, "b", 4), f"zones/{ZONE}.yaml")[0] == 0
        b_state = emu.records(ZONE)
        code, out, err = apply_cli(emu, a, "plan.json")
        assert code == 3, out + err
        assert "the live zone changed since the plan was made" in err
        assert emu.records(ZONE) == b_state


def test_the_lock_record_stays_free_and_is_never_shown(tmp_path: Path) -> None:
    with Emulator(zones=(ZONE,), rate_limit=0) as emu:
        a = side(tmp_path, "a", 3)
        assert apply_cli(emu, a, f"zones/{ZONE}.yaml")[0] == 0
        first = lock_of(emu)
        assert first.holder is None and first.generation == 1
        assert first.content.startswith("free.1.") and first.content.endswith(".lock.zonesync.invalid")
        write_zone(a, "a", 4)
        assert apply_cli(emu, a, "--batch-size", "1", f"zones/{ZONE}.yaml")[0] == 0
        second = lock_of(emu)
        assert second.id != first.id and second.generation == 2 and second.holder is None

        env = env_for(emu.url, a / "home")
        proc = zonesync("plan", "--format", "json", f"zones/{ZONE}.yaml", env=env, cwd=a)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        doc = json.loads(out)
        assert not doc["has_changes"] and doc["zones"][0]["live_records"] == 4
        assert "_zonesync-lock" not in out
        proc = zonesync("import", ZONE, "-o", "-", env=env, cwd=a)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "a3" in out and "_zonesync-lock" not in out and "lock.zonesync" not in out
        # a zone file without a4: a3's removal is planned, the lock record is not
        write_zone(a, "a", 3)
        proc = zonesync("plan", "--format", "json", f"zones/{ZONE}.yaml", env=env, cwd=a)
        out, _ = proc.communicate(timeout=60)
        changes = json.loads(out)["zones"][0]["changes"]
        assert [(c["action"], c["name"]) for c in changes] == [("delete", f"a3.{ZONE}")]


def test_a_record_at_the_lock_name_is_refused(tmp_path: Path) -> None:
    path = write_zone(tmp_path, "a", 2)
    path.write_text(path.read_text() + "  _zonesync-lock:\n    type: TXT\n    value: mine\n")
    with Emulator(zones=(ZONE,), rate_limit=0) as emu:
        env = env_for(emu.url, tmp_path / "home")
        for command in ("validate", "plan", "apply"):
            args = ("--yes",) if command == "apply" else ()
            proc = zonesync(command, *args, f"zones/{ZONE}.yaml", env=env, cwd=tmp_path)
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 1, out + err
            assert f"zones/{ZONE}.yaml:9: records._zonesync-lock.value: " in err
            assert f"the name {lock_name(ZONE)} is reserved for zonesync's zone lock" in err
            assert "Traceback" not in err
        assert emu.records(ZONE) == []
