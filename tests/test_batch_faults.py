"""Ambiguous batch writes are settled by reading the zone back, and the report always equals the live zone.

A fault proxy (tests/fault_proxy.py) sits between zonesync and the emulator and loses, garbles or delays a
batch's answer after the emulator committed it, or fails it before. zonesync must never send a batch
blind a second time (the SDK used to, and the retry failed with 81044/81058 while the batch was live),
must tell from the live zone whether the batch landed, and must report exactly that. A `Retry-After` is
honoured up to Cloudflare's 5-minute window; a response that never ends hits the overall deadline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.fault_proxy import FaultProxy
from zonesync.cli import cli
from zonesync.cloudflare.batch_outcome import batch_state
from zonesync.cloudflare.provider import CloudflareProvider
from zonesync.errors import ApiError
from zonesync.model import Record, ZoneInfo
from zonesync.plan.differ import diff
from zonesync.plan.model import ApplyReport, Change

ZONE = "example.com"
BATCH = 3
BATCH_ROUTE = "POST /zones/:id/dns_records/batch"


def seed(emulator) -> None:
    """Live: d0..d2 (to delete), u0 and u1 (to update), keep (unchanged)."""
    for i in range(3):
        emulator.add_record(ZONE, {"type": "A", "name": f"d{i}", "content": f"198.51.100.{i}", "ttl": 300})
    for i in range(2):
        emulator.add_record(
            ZONE, {"type": "A", "name": f"u{i}", "content": f"198.51.100.{50 + i}", "ttl": 300}
        )
    emulator.add_record(ZONE, {"type": "A", "name": "keep", "content": "198.51.100.99", "ttl": 300})


def desired() -> list[Record]:
    """keep, u0/u1 with a new TTL, and h0..h3 to create: 3 deletes + 2 updates + 4 creates = 3 batches."""
    a = lambda name, value, ttl=300: Record(f"{name}.{ZONE}", "A", value, ttl, False)  # noqa: E731
    return [
        a("keep", "198.51.100.99"),
        a("u0", "198.51.100.50", 600),
        a("u1", "198.51.100.51", 600),
        *(a(f"h{i}", f"192.0.2.{i}") for i in range(4)),
    ]


def provider(url: str, **options) -> CloudflareProvider:
    return CloudflareProvider("test-token", base_url=url, max_retries=0, sleep=lambda s: None, **options)


def plan(client: CloudflareProvider) -> tuple[ZoneInfo, tuple[Change, ...]]:
    zone = client.find_zones([ZONE])[ZONE]
    return zone, diff(desired(), client.list_records(zone).records, ZONE).changes


def live_records(emulator) -> tuple[Record, ...]:
    client = provider(emulator.url)
    try:
        return client.list_records(client.find_zones([ZONE])[ZONE]).records
    finally:
        client.close()


def check_report(report: ApplyReport, emulator) -> None:
    live = live_records(emulator)
    assert batch_state(report.applied, live).all_landed
    assert batch_state(report.not_applied, live).none_landed


@pytest.mark.parametrize("fault", ["reset", "502", "html", "broken", "empty", "success-false", "late"])
def test_answer_lost_after_commit_is_settled_as_landed(emulator, fault: str) -> None:
    seed(emulator)
    with FaultProxy(emulator.url, {2: fault}, late_seconds=2.5) as proxy:
        client = provider(proxy.url, timeout=1.0 if fault == "late" else None)
        zone, changes = plan(client)
        report = client.apply(zone, changes, BATCH)
        client.close()
    assert len(changes) == 9
    assert report.error is None, report.error
    assert len(report.applied) == 9 and report.batches == 3
    assert len(report.notes) == 1 and "batch 2 of 3" in report.notes[0] and "landed" in report.notes[0]
    assert emulator.stats()["by_route"][BATCH_ROUTE] == 3  # never sent twice
    assert sorted(live_records(emulator), key=str) == sorted(desired(), key=str)
    check_report(report, emulator)


def test_failed_before_commit_is_sent_again(emulator) -> None:
    seed(emulator)
    with FaultProxy(emulator.url, {2: "502-before"}) as proxy:
        client = provider(proxy.url)
        zone, changes = plan(client)
        report = client.apply(zone, changes, BATCH)
        client.close()
    assert report.error is None and len(report.applied) == 9 and report.notes == []
    assert emulator.stats()["by_route"][BATCH_ROUTE] == 3
    assert sorted(live_records(emulator), key=str) == sorted(desired(), key=str)


def test_failing_every_time_stops_with_the_exact_report(emulator) -> None:
    seed(emulator)
    with FaultProxy(emulator.url, dict.fromkeys(range(2, 7), "502-before")) as proxy:
        client = provider(proxy.url)
        zone, changes = plan(client)
        report = client.apply(zone, changes, BATCH)
        client.close()
    assert report.error and "batch 2 of 3 failed 5 times" in report.error and "HTTP 502" in report.error
    assert len(report.applied) == 3 and len(report.not_applied) == 6 and not report.stale
    check_report(report, emulator)


def test_unreadable_zone_after_a_lost_answer_is_reported_unknown(emulator) -> None:
    seed(emulator)
    with FaultProxy(emulator.url, {2: "502"}) as proxy:
        proxy.before_forward = lambda: emulator.inject_fault(
            status=500, method="GET", path_pattern="dns_records$", times=5
        )
        client = provider(proxy.url)
        zone, changes = plan(client)
        report = client.apply(zone, changes, BATCH)
        client.close()
    assert report.error and "unknown" in report.error
    assert len(report.applied) == 3 and len(report.unknown) == 3 and len(report.not_applied) == 3
    emulator.clear_faults()
    live = live_records(emulator)
    assert batch_state(report.unknown, live).all_landed  # it had landed: unknown was the honest answer
    assert batch_state(report.not_applied, live).none_landed


def run(*args: str | Path) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def write_zone(tmp_path: Path) -> Path:
    path = tmp_path / "zones" / f"{ZONE}.yaml"
    path.parent.mkdir(exist_ok=True)
    lines = [
        f"zone: {ZONE}",
        "ttl: 300",
        "max_changes: off",
        "records:",
        "  keep: {type: A, value: 198.51.100.99}",
    ]
    lines += [
        "  u0: {type: A, value: 198.51.100.50, ttl: 600}",
        "  u1: {type: A, value: 198.51.100.51, ttl: 600}",
    ]
    lines += [f"  h{i}: {{type: A, value: 192.0.2.{i}}}" for i in range(4)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_reports_a_lost_answer_that_landed(emulator, tmp_path: Path, monkeypatch) -> None:
    seed(emulator)
    path = write_zone(tmp_path)
    with FaultProxy(emulator.url, {1: "reset"}) as proxy:
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", proxy.url)
        result = run("apply", "--yes", "--batch-size", BATCH, path)
    assert result.exit_code == 0, result.output
    assert "batch 1 of 3" in result.output and "the zone read back shows it landed" in result.output
    assert "applied (4 to create, 2 to update, 3 to delete) in 3 batch requests" in result.output
    assert emulator.stats()["by_route"][BATCH_ROUTE] == 3
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.url)
    assert "no changes" in run("plan", path).output


def test_saved_plan_raced_by_another_run_exits_3(emulator, tmp_path: Path, monkeypatch) -> None:
    """Two runs of one saved plan both pass the staleness check; the loser says so and exits 3 (it used
    to exit 1 with a misleading 81044)."""
    seed(emulator)
    path = write_zone(tmp_path)
    plan_file = tmp_path / "plan.json"
    assert run("plan", "--out", plan_file, path).exit_code == 0
    env = {**os.environ, "CLOUDFLARE_BASE_URL": emulator.url, "ZONESYNC_RATE_LIMIT": "off"}
    other = [sys.executable, "-m", "zonesync", "apply", "--yes", "--batch-size", "100", str(plan_file)]

    def other_run() -> None:
        subprocess.run(other, env=env, check=True, capture_output=True, cwd=tmp_path)

    with FaultProxy(emulator.url, {1: "race"}) as proxy:
        proxy.before_forward = other_run
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", proxy.url)
        result = run("apply", "--yes", "--batch-size", "100", plan_file)
    assert result.exit_code == 3, result.output
    assert "the zone changed since it was planned (another run or someone else)" in result.stderr
    assert "81044" in result.stderr  # what Cloudflare said, kept for the record
    assert sorted(live_records(emulator), key=str) == sorted(desired(), key=str)


# -- rate limits and deadlines ---------------------------------------------------------------------------


def test_retry_after_up_to_five_minutes_is_waited_out(emulator) -> None:
    seed(emulator)
    emulator.inject_fault(status=429, method="POST", path_pattern="batch", retry_after=120, times=1)
    emulator.inject_fault(status=429, method="GET", path_pattern="dns_records$", retry_after=300, times=1)
    waits: list[float] = []
    said: list[str] = []
    client = CloudflareProvider("test-token", max_retries=0, sleep=waits.append, notify=said.append)
    zone, changes = plan(client)
    report = client.apply(zone, changes)
    client.close()
    assert report.error is None and len(report.applied) == 9
    assert waits == [300, 120] and said == ["rate limited: waiting 300 s", "rate limited: waiting 120 s"]


def test_retry_after_beyond_five_minutes_stops_cleanly(emulator) -> None:
    seed(emulator)
    emulator.inject_fault(status=429, method="POST", path_pattern="batch", retry_after=301, every=2)
    waits: list[float] = []
    client = CloudflareProvider("test-token", max_retries=0, sleep=waits.append)
    zone, changes = plan(client)
    report = client.apply(zone, changes, BATCH)
    client.close()
    assert report.error and "wait 301 s, more than its 5-minute window" in report.error
    assert "batch 2 of 3" in report.error and waits == []
    assert len(report.applied) == 3 and len(report.not_applied) == 6
    check_report(report, emulator)


def test_cli_says_it_waits_for_the_rate_limit(emulator, tmp_path: Path) -> None:
    seed(emulator)
    emulator.inject_fault(status=429, method="POST", path_pattern="batch", retry_after=1, times=1)
    result = run("apply", "--yes", write_zone(tmp_path))
    assert result.exit_code == 0, result.output
    assert "rate limited: waiting 1 s" in result.stderr


class Drip(BaseHTTPRequestHandler):
    """Headers at once, then a byte every 0.2 s of a body that would take minutes."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass


def test_a_body_that_never_ends_hits_the_deadline() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/client/v4"
        client = CloudflareProvider("t", base_url=url, max_retries=0, deadline=1.0)
        with pytest.raises(ApiError, match=r"looking up zones example.com: .*took longer than 1 s in all"):
            client.find_zones([ZONE])
        client.close()
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("path", "sdk_retries"),
    [
        ("/client/v4/zones", False),
        ("/client/v4/zones/abc/dns_records", False),
        ("/client/v4/zones/abc/dns_records/batch", False),
        ("/client/v4/accounts/abc/workers/scripts/mta-sts", True),  # the Workers provider keeps them
    ],
)
def test_only_zonesyncs_own_requests_skip_the_sdk_retry_of_a_429(path: str, sdk_retries: bool) -> None:
    from zonesync.cloudflare.provider import _no_sdk_retry_on_429

    response = httpx.Response(429, request=httpx.Request("GET", f"http://127.0.0.1{path}"))
    _no_sdk_retry_on_429(response)
    assert ("x-should-retry" not in response.headers) is sdk_retries
