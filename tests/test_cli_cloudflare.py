"""End to end: the real CLI and the real SDK over HTTP against the emulator on loopback."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from clirun import run
from emu_records import user_records

from zonesync.cloudflare.provider import MAX_RETRIES
from zonesync.model import BATCH_LIMITS
from zonesync.plan.zone_lock import LOCK_OPS

ZONE = "example.com"


def write_zone(tmp_path: Path, body: str, name: str = ZONE) -> Path:
    zones = tmp_path / "zones"
    zones.mkdir(exist_ok=True)
    path = zones / f"{name}.yaml"
    path.write_text(f"zone: {name}\n" + textwrap.dedent(body))
    return path


def live(emulator, zone: str = ZONE) -> set[tuple]:
    return {
        (r["name"], r["type"], r["content"], r["ttl"], r.get("proxied"), r.get("comment"))
        for r in user_records(emulator, zone)
    }


BASIC = """\
ttl: 3600
records:
  "@":
    - type: A
      value: 203.0.113.10
    - type: MX
      values: ["10 mx.example.com."]
  www:
    type: CNAME
    value: example.com.
    proxied: true
    comment: public site
  mx:
    type: A
    value: 203.0.113.25
"""


def test_create_from_empty_then_plan_is_empty(emulator, tmp_path: Path) -> None:
    path = write_zone(tmp_path, BASIC)
    result = run("plan", path)
    assert result.exit_code == 0, result.output
    assert "4 to create, 0 to update, 0 to delete" in result.output
    assert user_records(emulator, ZONE) == []  # plan never writes

    result = run("apply", "--yes", path)
    assert result.exit_code == 0, result.output
    assert live(emulator) == {
        ("example.com", "A", "203.0.113.10", 3600, False, None),
        ("example.com", "MX", "mx.example.com", 3600, False, None),
        ("www.example.com", "CNAME", "example.com", 1, True, "public site"),
        ("mx.example.com", "A", "203.0.113.25", 3600, False, None),
    }
    result = run("plan", "--exit-code", path)
    assert result.exit_code == 0, result.output
    assert "no changes" in result.output


def test_plan_exit_code_2_on_changes(emulator, tmp_path: Path) -> None:
    result = run("plan", "--exit-code", write_zone(tmp_path, BASIC))
    assert result.exit_code == 2


def test_update_keeps_id_and_delete_removes(emulator, tmp_path: Path) -> None:
    path = write_zone(tmp_path, BASIC)
    assert run("apply", "--yes", path).exit_code == 0
    before = {(r["name"], r["type"]): r["id"] for r in user_records(emulator, ZONE)}
    path.write_text(
        path.read_text()
        .replace("203.0.113.25", "203.0.113.26")
        .replace('      values: ["10 mx.example.com."]\n', '      values: ["20 mx.example.com."]\n')
    )
    path.write_text(
        path.read_text().replace(
            "  www:\n    type: CNAME\n    value: example.com.\n    proxied: true\n    comment: public site\n",
            "",
        )
    )
    result = run("plan", path)
    assert "0 to create, 2 to update, 1 to delete" in result.output, result.output
    assert "value: 203.0.113.25 -> 203.0.113.26" in result.output
    assert run("apply", "--yes", path).exit_code == 0
    after = {(r["name"], r["type"]): r for r in user_records(emulator, ZONE)}
    assert after[("mx.example.com", "A")]["id"] == before[("mx.example.com", "A")]
    assert after[("mx.example.com", "A")]["content"] == "203.0.113.26"
    assert after[("example.com", "MX")]["priority"] == 20
    assert ("www.example.com", "CNAME") not in after
    assert "no changes" in run("plan", path).output


def test_ignore_rules_and_read_only_records_are_left_alone(emulator, tmp_path: Path) -> None:
    emulator.add_record(ZONE, {"type": "TXT", "name": "_acme-challenge", "content": "token-1", "ttl": 120})
    emulator.add_record(
        ZONE, {"type": "TXT", "name": "_acme-challenge.shop", "content": "token-2", "ttl": 120}
    )
    emulator.add_record(
        ZONE,
        {"type": "MX", "name": "@", "content": "route1.mx.cloudflare.net", "priority": 5, "ttl": 1,
         "meta": {"read_only": True}},
    )  # fmt: skip
    emulator.add_record(ZONE, {"type": "A", "name": "stale", "content": "192.0.2.1", "ttl": 1})
    path = write_zone(tmp_path, BASIC + 'ignore:\n  - name: "_acme-challenge*"\n    type: [TXT]\n')
    result = run("plan", path)
    assert "skip   @ MX: managed by Cloudflare (read only)" in result.output, result.output
    assert "- delete stale A" in result.output
    assert "2 ignored by rules" in result.output
    assert run("apply", "--yes", path).exit_code == 0
    names = {(r["name"], r["type"]) for r in user_records(emulator, ZONE)}
    assert ("_acme-challenge.example.com", "TXT") in names
    assert ("_acme-challenge.shop.example.com", "TXT") in names
    assert ("example.com", "MX") in names  # the read-only one and ours
    assert ("stale.example.com", "A") not in names
    assert "no changes" in run("plan", path).output


def test_a_replaced_by_cname_at_same_name(emulator, tmp_path: Path) -> None:
    path = write_zone(
        tmp_path, "records:\n  www: {type: A, value: 192.0.2.1}\n  app: {type: CNAME, value: www}\n"
    )
    assert run("apply", "--yes", path).exit_code == 0
    path.write_text(
        f"zone: {ZONE}\nrecords:\n  www: {{type: CNAME, value: app.example.net.}}\n  app: {{type: A, value: 192.0.2.2}}\n"
    )
    result = run("apply", "--yes", path)
    assert result.exit_code == 0, result.output
    assert live(emulator) == {
        ("www.example.com", "CNAME", "app.example.net", 1, False, None),
        ("app.example.com", "A", "192.0.2.2", 1, False, None),
    }


EVERY_TYPE = """\
records:
  "@":
    - {type: A, value: 203.0.113.10}
    - {type: AAAA, value: "2001:DB8::10"}
    - {type: MX, values: ["10 mx", "20 mx2.example.net."]}
    - {type: CAA, values: ['0 issue "letsencrypt.org"', '128 iodef "mailto:sec@example.com"']}
    - {type: HTTPS, value: '1 . alpn="h2,h3"'}
    - {type: TXT, values: ["v=spf1 mx -all", "google-site-verification=abc"]}
  mx: {type: A, value: 203.0.113.25}
  long: {type: TXT, value: "%s"}
  quoted: {type: TXT, value: 'he said "hi" \\ back'}
  alias: {type: CNAME, value: www.example.net.}
  sub: {type: NS, values: [ns1.example.net., ns2.example.net.]}
  10.2.0.192.in-addr: {type: PTR, value: host.example.com.}
  _sip._tcp: {type: SRV, value: "10 5 5060 sip"}
  _443._tcp.www: {type: TLSA, value: "3 1 1 %s"}
  host: {type: SSHFP, value: "4 2 %s"}
  svc: {type: SVCB, value: "1 svc.example.net. port=8443"}
  cert: {type: CERT, value: "1 0 0 AAAA"}
  key: {type: DNSKEY, value: "257 3 13 %s"}
  sub2: {type: DS, value: "12345 13 2 %s"}
  geo: {type: LOC, value: "52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m"}
  sipnaptr: {type: NAPTR, value: '100 10 "S" "SIP+D2U" "" _sip._udp'}
  _smime: {type: SMIMEA, value: "3 1 1 %s"}
  _http._tcp: {type: URI, value: '10 1 "https://example.com/"'}
""" % ("x" * 700, "ab" * 32, "cd" * 32, "A" * 88, "ef" * 32, "12" * 32)  # noqa: UP031


def test_every_record_type_round_trips_to_an_empty_plan(emulator, tmp_path: Path) -> None:
    path = write_zone(tmp_path, EVERY_TYPE)
    result = run("apply", "--yes", path)
    assert result.exit_code == 0, result.output
    types = {r["type"] for r in user_records(emulator, ZONE)}
    assert types == {"A", "AAAA", "MX", "CAA", "HTTPS", "TXT", "CNAME", "NS", "PTR", "SRV", "TLSA", "SSHFP",
                     "SVCB", "CERT", "DNSKEY", "DS", "LOC", "NAPTR", "SMIMEA", "URI"}  # fmt: skip
    long_txt = next(r for r in user_records(emulator, ZONE) if r["name"] == "long.example.com")
    assert long_txt["content"].count('"') >= 6  # split into quoted 255-byte strings
    result = run("plan", "--exit-code", path)
    assert result.exit_code == 0, result.output


def test_failed_batch_changes_nothing_and_rerun_converges(emulator, tmp_path: Path) -> None:
    path = write_zone(tmp_path, BASIC)
    emulator.inject_fault(
        status=500, method="POST", path_pattern="dns_records/batch", times=MAX_RETRIES + 1, retry_after=0.01
    )
    result = run("apply", "--yes", path)
    assert result.exit_code == 1
    assert "batch 1 of 1 failed" in result.output
    assert "NOT applied 4 changes" in result.output
    assert "example.com: not applied:  + create www CNAME example.com." in result.output
    assert user_records(emulator, ZONE) == []
    assert "Traceback" not in result.output
    result = run("apply", "--yes", path)
    assert result.exit_code == 0, result.output
    assert len(user_records(emulator, ZONE)) == 4


def test_invalid_operation_rolls_back_whole_batch(emulator, tmp_path: Path) -> None:
    path = write_zone(tmp_path, BASIC)
    emulator.add_record(ZONE, {"type": "A", "name": "keep", "content": "192.0.2.9", "ttl": 1})
    # Behind zonesync's back, someone creates a CNAME where the plan will post an A: the batch must fail whole.
    from zonesync.cloudflare.provider import CloudflareProvider
    from zonesync.run.orchestrate import plan_all
    from zonesync.zonefile.load import load_configs

    provider = CloudflareProvider(os.environ["CLOUDFLARE_API_TOKEN"])
    (work,) = plan_all(provider, load_configs([path]))
    emulator.add_record(ZONE, {"type": "CNAME", "name": "mx", "content": "elsewhere.example.net", "ttl": 1})
    report = provider.apply(work.live.zone, work.plan.changes)
    assert (report.error and "81053" in report.error) or "81054" in report.error
    assert len(report.not_applied) == 5 and report.applied == []
    names = {(r["name"], r["type"]) for r in user_records(emulator, ZONE)}
    assert names == {("keep.example.com", "A"), ("mx.example.com", "CNAME")}


def test_rate_limited_then_succeeds(emulator, tmp_path: Path) -> None:
    emulator.inject_fault(status=429, code=971, path_pattern="dns_records", times=1)
    result = run("apply", "--yes", write_zone(tmp_path, BASIC))
    assert result.exit_code == 0, result.output
    assert len(user_records(emulator, ZONE)) == 4


def test_wrong_or_missing_token_is_one_line(emulator, tmp_path: Path, monkeypatch) -> None:
    path = write_zone(tmp_path, BASIC)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "wrong-token")
    result = run("plan", path)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "403" in lines[0] and "9109" in lines[0] and "CLOUDFLARE_API_TOKEN" in lines[0]
    assert "wrong-token" not in result.output
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    result = run("plan", path)
    assert result.exit_code == 1 and "CLOUDFLARE_API_TOKEN is not set" in result.output


def test_unknown_zone_is_a_clear_error(emulator, tmp_path: Path) -> None:
    result = run("plan", write_zone(tmp_path, "records: {}\n", name="not-there.org"))
    assert result.exit_code == 1
    assert "zone not-there.org does not exist in this Cloudflare account" in result.output


def test_apply_refuses_without_yes_when_not_a_terminal(emulator, tmp_path: Path) -> None:
    result = run("apply", write_zone(tmp_path, BASIC))
    assert result.exit_code == 1 and "pass --yes" in result.output
    assert user_records(emulator, ZONE) == []


BAD_RECORD = "  bad: {type: A, value: 1.2.3}\n"


def file_error(zone: str = ZONE) -> str:
    return f"{zone}.yaml:17: records.bad.value: invalid A value"


def only_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.parametrize("command", [("plan",), ("apply", "--yes")])
def test_bad_zone_file_stops_the_run_before_any_write(emulator, tmp_path: Path, command) -> None:
    """The live zone may be read while the files are checked (lookup and listing: GETs only); a bad file
    then stops the run with its own one-line error, and nothing is written."""
    path = write_zone(tmp_path, BASIC + BAD_RECORD)
    emulator.reset_stats()
    result = run(*command, path)
    assert result.exit_code == 1
    assert file_error() in only_line(result.output)
    assert {route.split()[0] for route in emulator.stats()["by_route"]} <= {"GET"}
    assert set(emulator.stats()["by_route"]) <= {"GET /zones", "GET /zones/:id/dns_records"}
    assert user_records(emulator, ZONE) == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("trouble", ["wrong token", "no token", "unreachable API", "unknown zone"])
def test_a_bad_zone_file_is_the_error_reported_whatever_the_api_would_answer(
    emulator, tmp_path: Path, monkeypatch, trouble: str
) -> None:
    """The API would fail too, but the file's error is the one shown, before any request, every time
    (without the bad record, each trouble is reported as before: tests above)."""
    zone = "not-there.org" if trouble == "unknown zone" else ZONE
    if trouble == "wrong token":
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "wrong-token")
    elif trouble == "no token":
        monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    elif trouble == "unreachable API":
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", f"http://127.0.0.1:{_closed_port()}")
    path = write_zone(tmp_path, BASIC + BAD_RECORD, name=zone)
    for command in (("plan",), ("apply", "--yes")):
        result = run(*command, path)
        assert result.exit_code == 1
        assert file_error(zone) in only_line(result.output)
    assert user_records(emulator, ZONE) == []


def _big_zone(n: int) -> str:
    lines = ["ttl: 300", "records:"]
    lines += [f"  h{i}: {{type: A, value: 10.{i // 65536}.{i // 256 % 256}.{i % 256}}}" for i in range(n)]
    return "\n".join(lines) + "\n"


def test_request_counts_at_the_minimum(emulator, tmp_path: Path) -> None:
    """5,000 records plan with 2 requests (zone lookup + one listing); 1,000 changes apply in
    ceil(1000 / (batch limit - LOCK_OPS)) batches (the zone lock takes up to 2 operations a batch)."""
    path = write_zone(tmp_path, _big_zone(5000))
    assert run("apply", "--yes", path).exit_code == 0
    emulator.reset_stats()
    assert "no changes" in run("plan", path).output
    stats = emulator.stats()["by_route"]
    assert stats.get("GET /zones/:id/dns_records") == 1
    assert stats.get("GET /zones") == 1
    assert emulator.stats()["total"] == 2

    text = path.read_text()
    for i in range(0, 1000):
        text = text.replace(
            f"  h{i}: {{type: A, value: 10.0.{i // 256 % 256}.{i % 256}}}\n",
            f"  h{i}: {{type: A, value: 10.9.{i // 256 % 256}.{i % 256}}}\n",
        )
    path.write_text(text)
    emulator.reset_stats()
    result = run("apply", "--yes", path)
    assert "0 to create, 1000 to update, 0 to delete" in result.output
    limit = BATCH_LIMITS["free"]
    # each batch keeps LOCK_OPS operations for the zone lock (taken in the first, given back in the last)
    assert emulator.stats()["by_route"]["POST /zones/:id/dns_records/batch"] == math.ceil(
        1000 / (limit - LOCK_OPS)
    )
    assert "no changes" in run("plan", path).output


def test_real_console_script_in_subprocess(emulator, tmp_path: Path) -> None:
    path = write_zone(tmp_path, BASIC)
    cmd = [sys.executable, "-m", "zonesync", "apply", "--yes", str(path)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "zonesync", "plan", "--exit-code", str(path)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("arg", ["--batch-size=0", "--batch-size=abc"])
def test_bad_flags_are_usage_errors(arg: str, tmp_path: Path) -> None:
    result = run("apply", arg, write_zone(tmp_path, BASIC))
    assert result.exit_code == 1 and "Invalid value for '--batch-size'" in result.output


def test_listing_follows_result_info_across_pages(emulator, tmp_path: Path) -> None:
    from zonesync.cloudflare import provider

    assert run("apply", "--yes", write_zone(tmp_path, EVERY_TYPE)).exit_code == 0
    client = provider.CloudflareProvider(os.environ["CLOUDFLARE_API_TOKEN"])
    zone = client.find_zones([ZONE])[ZONE]
    emulator.reset_stats()
    paged = client.list_records(zone, per_page=5)
    total = len(user_records(emulator, ZONE))
    assert emulator.stats()["by_route"]["GET /zones/:id/dns_records"] == math.ceil(total / 5)
    assert sorted(r.id for r in paged.records) == sorted(r.id for r in client.list_records(zone).records)
    assert len(paged.records) == total
