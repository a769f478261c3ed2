"""A pipeline applies exactly what was reviewed (issue 21, items 1 and 4): `--require-signed` refuses
zone files, and SIGINT during apply stops between batches and says what landed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from emu_records import lock_records, user_records

from zonesync.emulator.server import Emulator
from zonesync.plan.zone_lock import LockRecord

ZONE = "example.com"


def write_zone(directory: Path, prefix: str, count: int) -> Path:
    lines = [f"zone: {ZONE}", "ttl: 300", "max_changes: off", "records:"]
    lines += [f"  {prefix}{i}: {{type: A, value: 192.0.2.{i % 250}}}" for i in range(count)]
    path = directory / "zones" / f"{ZONE}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def env_for(url: str, home: Path, **extra: str) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZONESYNC_")}
    env.update(
        CLOUDFLARE_API_TOKEN="test-token",
        CLOUDFLARE_BASE_URL=url,
        ZONESYNC_RATE_LIMIT="off",
        HOME=str(home),
        TMPDIR=str(home),
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def zonesync(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "zonesync", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def names(emu: Emulator) -> set[str]:
    return {r["name"] for r in user_records(emu, ZONE)}


def test_require_signed_refuses_zone_files(tmp_path: Path) -> None:
    with Emulator(zones=(ZONE,), rate_limit=0) as emu:
        path = write_zone(tmp_path, "a", 3)
        for how in (["--require-signed"], []):
            extra = {} if how else {"ZONESYNC_REQUIRE_SIGNED_PLAN": "1"}
            proc = zonesync(
                "apply", "--yes", *how, str(path), env=env_for(emu.url, tmp_path / "h", **extra), cwd=tmp_path
            )
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 3, out + err
            assert "only a signed saved plan is applied here" in err
        assert user_records(emu, ZONE) == []


def test_sigint_mid_apply_says_what_landed(tmp_path: Path) -> None:
    with Emulator(zones=(ZONE,), rate_limit=0, latency=0.3) as emu:
        path = write_zone(tmp_path, "a", 20)
        proc = zonesync(
            "apply",
            "--yes",
            "--batch-size",
            "2",
            str(path),
            env=env_for(emu.url, tmp_path / "h"),
            cwd=tmp_path,
        )
        while emu.stats()["by_route"].get("POST /zones/:id/dns_records/batch", 0) < 2:
            assert proc.poll() is None
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1, out + err
        assert "Aborted." not in err
        assert "interrupted (SIGINT) before batch" in err and "NOT applied" in err
        landed = names(emu)
        assert landed and len(landed) < 20  # a whole number of batches, the rest not
        assert len(landed) % 2 == 0
        assert sum(f"not applied:  + create a{i} " in err for i in range(20)) == 20 - len(landed)
        [lock] = lock_records(emu, ZONE)
        assert LockRecord(lock["id"], lock["content"]).holder is None  # given back: free
