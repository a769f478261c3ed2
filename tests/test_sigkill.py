"""`zonesync apply` killed with SIGKILL at random points: nothing is lost, the zone always holds a whole
number of batches (each batch is one transaction at Cloudflare), and running apply again converges.

The emulator runs in this process with some latency per request, so an apply of 10 batches takes long
enough to be killed in the middle; zonesync runs as its own process, as a user runs it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from zonesync.cli import cli
from zonesync.cloudflare.provider import CloudflareProvider
from zonesync.emulator.server import Emulator
from zonesync.model import Record
from zonesync.plan.differ import diff
from zonesync.plan.model import ACTION_ORDER, Change
from zonesync.zonefile.load import load_zone_file

ZONE = "example.com"
BATCH = 3
POINTS = 8


def live_zone() -> list[dict[str, object]]:
    """10 to delete, 5 to update (new TTL), 5 kept; the zone file adds 15 more: 30 changes, 10 batches."""
    records = [{"type": "A", "name": f"old{i}", "content": f"198.51.100.{i}", "ttl": 300} for i in range(10)]
    records += [
        {"type": "A", "name": f"upd{i}", "content": f"198.51.100.{50 + i}", "ttl": 300} for i in range(5)
    ]
    records += [
        {"type": "A", "name": f"keep{i}", "content": f"198.51.100.{90 + i}", "ttl": 300} for i in range(5)
    ]
    return records


def write_zone(tmp_path: Path) -> Path:
    lines = [f"zone: {ZONE}", "ttl: 300", "max_changes: off", "records:"]
    lines += [f"  upd{i}: {{type: A, value: 198.51.100.{50 + i}, ttl: 600}}" for i in range(5)]
    lines += [f"  keep{i}: {{type: A, value: 198.51.100.{90 + i}}}" for i in range(5)]
    lines += [f"  new{i}: {{type: A, value: 192.0.2.{i}}}" for i in range(15)]
    path = tmp_path / "zones" / f"{ZONE}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def read(emu: Emulator) -> tuple[Record, ...]:
    client = CloudflareProvider("test-token", base_url=emu.url, max_retries=0)
    try:
        return client.list_records(client.find_zones([ZONE])[ZONE]).records
    finally:
        client.close()


def after_batches(start: tuple[Record, ...], changes: list[Change]) -> list[set[Record]]:
    """The zone after 0, 1, 2, ... whole batches, in the order apply sends them."""
    ordered = sorted(changes, key=lambda c: ACTION_ORDER[c.action])
    states, current = [set(start)], set(start)
    for i in range(0, len(ordered), BATCH):
        for change in ordered[i : i + BATCH]:
            if change.before is not None:
                current.discard(change.before)
            if change.after is not None:
                current.add(change.after)
        states.append(set(current))
    return states


def apply(path: Path, url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": "test-token", "CLOUDFLARE_BASE_URL": url}
    env["ZONESYNC_RATE_LIMIT"] = "off"
    env["ZONESYNC_LOCK_LEASE"] = "2"  # the killed run's zone lock expires 2 s after its last batch
    args = [sys.executable, "-m", "zonesync", "apply", "--yes", "--batch-size", str(BATCH), str(path)]
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=path.parent.parent
    )


def test_sigkill_at_random_points_loses_nothing_and_a_rerun_converges(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "test-token")
    monkeypatch.setenv("ZONESYNC_RATE_LIMIT", "off")
    path = write_zone(tmp_path)
    desired = set(load_zone_file(path).records)
    rng = random.Random(9)
    kept = {r for r in desired if r.name.startswith("keep")}
    states_seen = set()
    for point in range(POINTS):
        seed = {"zones": [{"name": ZONE, "records": live_zone()}]}
        with Emulator(zones=(), seed=seed, rate_limit=0, latency=0.03) as emu:
            start = read(emu)
            states = after_batches(start, list(diff(list(desired), start, ZONE).changes))
            assert len(states) == 11
            proc = apply(path, emu.url)
            # A random point: after k batches reached the emulator (k = 0: during start-up and the reads),
            # plus a random part of a request's latency, so some kills land while a batch is in flight.
            target = rng.randrange(0, 10)
            while _batches(emu) < target and proc.poll() is None:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.04))
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            live = set(read(emu))
            assert kept <= live, f"point {point}: kept records lost"
            index = next((i for i, state in enumerate(states) if _same(state, live)), None)
            assert index is not None, f"point {point}: the zone is not a whole number of batches"
            states_seen.add(index)
            monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)  # the rerun in-process: quicker to start
            # it waits for the killed run's zone lock to expire (at most 2 s), then applies
            rerun = CliRunner().invoke(cli, ["apply", "--yes", str(path)], catch_exceptions=False)
            assert rerun.exit_code == 0, rerun.output
            assert set(read(emu)) == desired, f"point {point}: the rerun did not converge"
    assert len(states_seen) >= POINTS // 2  # the kills did land at different points of the apply


def _batches(emu: Emulator) -> int:
    return emu.stats()["by_route"].get("POST /zones/:id/dns_records/batch", 0)


def _same(state: set[Record], live: set[Record]) -> bool:
    """Equal as records (ids aside): a created record's id is not known beforehand."""
    return {(r.name, r.type, r.value, r.ttl) for r in state} == {
        (r.name, r.type, r.value, r.ttl) for r in live
    }
