"""unbound, a real validating resolver, against the emulator's signed zone (issue 26, item 5).

The emulator zone's DS (as the API gives it) is unbound's trust anchor; unbound reaches the zone through a
stub-zone on the emulator's DNS port. A positive answer, a NODATA and a name that does not exist (compact
denial, RFC 9824) must come back with the AD bit; a corrupted signature (the emulator's `tamper` knob) must
come back SERVFAIL. Skipped with one line when unbound is not installed, unless ZONESYNC_INTEROP=required.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from zonesync.emulator.server import Emulator

ZONE = "signed.test"
UNBOUND = shutil.which("unbound") or ("/usr/sbin/unbound" if Path("/usr/sbin/unbound").exists() else None)

if UNBOUND is None:
    if os.environ.get("ZONESYNC_INTEROP") == "required":
        pytest.fail("unbound is not installed and ZONESYNC_INTEROP=required", pytrace=False)
    pytest.skip("unbound not installed (apt-get install -y unbound)", allow_module_level=True)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        return udp.getsockname()[1]


def ask(port: int, name: str, rdtype: str, timeout: float = 5.0) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, want_dnssec=True)
    query.flags |= dns.flags.AD
    return dns.query.udp(query, "127.0.0.1", port=port, timeout=timeout)


def wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"unbound exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")  # type: ignore[union-attr]
        try:
            dns.query.udp(dns.message.make_query("localhost.", "A"), "127.0.0.1", port=port, timeout=0.3)
            return
        except (dns.exception.Timeout, OSError):
            continue
    raise AssertionError("unbound did not answer within 15 s")


@pytest.fixture(scope="module")
def signed() -> Iterator[tuple[Emulator, int]]:
    """The emulator with a signed zone, and unbound trusting its DS: (emulator, unbound port)."""
    emu = Emulator(zones=(ZONE,)).start()
    dns_port = emu.start_dns(0)
    for rec in (
        {"type": "A", "name": f"www.{ZONE}", "content": "192.0.2.10", "ttl": 300},
        {"type": "MX", "name": ZONE, "content": f"mail.{ZONE}", "priority": 10, "ttl": 300},
        {"type": "A", "name": f"mail.{ZONE}", "content": "192.0.2.25", "ttl": 300},
        {"type": "TXT", "name": f"x.deep.{ZONE}", "content": "hello", "ttl": 300},
    ):
        emu.add_record(ZONE, rec)
    emu.dnssec.edit(emu.store.zone_named(ZONE), {"status": "active"})
    ds = emu.dnssec_ds(ZONE)
    assert ds.startswith(f"{ZONE}. 3600 IN DS "), ds
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"unbound-{os.getpid()}"
    work.mkdir(exist_ok=True)
    port = free_udp_port()
    conf = work / "unbound.conf"
    conf.write_text(
        "server:\n"
        "  interface: 127.0.0.1\n"
        f"  port: {port}\n"
        "  do-daemonize: no\n"
        '  username: ""\n'
        '  chroot: ""\n'
        f'  directory: "{work}"\n'
        '  logfile: ""\n'
        "  use-syslog: no\n"
        "  do-ip6: no\n"
        "  do-not-query-localhost: no\n"
        '  module-config: "validator iterator"\n'
        f'  trust-anchor: "{ds}"\n'
        '  local-zone: "test." nodefault\n'
        "  val-log-level: 2\n"
        "remote-control:\n"
        "  control-enable: no\n"
        "stub-zone:\n"
        f'  name: "{ZONE}"\n'
        f"  stub-addr: 127.0.0.1@{dns_port}\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [UNBOUND, "-d", "-c", str(conf)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    try:
        wait_for(port, proc)
        yield emu, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        emu.stop()
        shutil.rmtree(work, ignore_errors=True)


def test_positive_answer_is_validated(signed: tuple[Emulator, int]) -> None:
    _, port = signed
    answer = ask(port, f"www.{ZONE}", "A")
    assert answer.rcode() == dns.rcode.NOERROR
    assert answer.flags & dns.flags.AD
    assert [rr.to_text() for rrset in answer.answer if rrset.rdtype == dns.rdatatype.A for rr in rrset] == [
        "192.0.2.10"
    ]


def test_cds_and_cdnskey_are_validated(signed: tuple[Emulator, int]) -> None:
    """The apex CDS and CDNSKEY a registry scans for (RFC 8078): validated, and the CDS is the zone's DS."""
    emu, port = signed
    cds = ask(port, ZONE, "CDS")
    assert cds.rcode() == dns.rcode.NOERROR and cds.flags & dns.flags.AD
    (value,) = [rr.to_text() for rrset in cds.answer if rrset.rdtype == dns.rdatatype.CDS for rr in rrset]
    assert emu.dnssec_ds(ZONE).endswith(" DS " + value)
    cdnskey = ask(port, ZONE, "CDNSKEY")
    assert cdnskey.flags & dns.flags.AD
    assert [
        rr.flags for rrset in cdnskey.answer if rrset.rdtype == dns.rdatatype.CDNSKEY for rr in rrset
    ] == [257]


def test_nodata_is_validated(signed: tuple[Emulator, int]) -> None:
    _, port = signed
    answer = ask(port, f"www.{ZONE}", "MX")
    assert answer.rcode() == dns.rcode.NOERROR
    assert not [r for r in answer.answer if r.rdtype == dns.rdatatype.MX]
    assert answer.flags & dns.flags.AD


def test_empty_non_terminal_is_validated(signed: tuple[Emulator, int]) -> None:
    _, port = signed
    answer = ask(port, f"deep.{ZONE}", "A")
    assert answer.rcode() == dns.rcode.NOERROR and not answer.answer
    assert answer.flags & dns.flags.AD


def test_nonexistent_name_is_validated_compact_denial(signed: tuple[Emulator, int]) -> None:
    """RFC 9824: NOERROR/NODATA (not NXDOMAIN; unbound 1.17 does not turn NXNAME back into NXDOMAIN), AD."""
    _, port = signed
    answer = ask(port, f"nothing-here.{ZONE}", "A")
    assert answer.rcode() == dns.rcode.NOERROR and not answer.answer
    assert answer.flags & dns.flags.AD


def test_tampered_signature_is_servfail(signed: tuple[Emulator, int]) -> None:
    emu, port = signed
    emu.set_dnssec(tamper=True)
    try:
        answer = ask(port, f"mail.{ZONE}", "A")  # not asked before: nothing cached
        assert answer.rcode() == dns.rcode.SERVFAIL
        assert not answer.flags & dns.flags.AD
    finally:
        emu.set_dnssec(tamper=False)


def test_verify_takes_unbounds_ad_bit(signed: tuple[Emulator, int], tmp_path: Path) -> None:
    """`zonesync verify --nameserver <validating resolver>` without --trust-anchor: the AD bit vouches."""
    import json

    from click.testing import CliRunner

    from zonesync.cli import cli

    _, port = signed
    zone_file = tmp_path / f"{ZONE}.yaml"
    zone_file.write_text(f"zone: {ZONE}\ndnssec: true\nrecords:\n  www: {{type: A, value: 192.0.2.10}}\n")
    result = CliRunner().invoke(
        cli,
        ["verify", "--dns-only", "--format", "json", "--nameserver", f"127.0.0.1:{port}", str(zone_file)],
        catch_exceptions=False,
    )
    doc = json.loads(result.output)
    found = [f for z in doc["zones"] for f in z["findings"] if f["topic"] == "dnssec"]
    assert [f["status"] for f in found] == ["pass"] * 3, found
    assert all("(AD)" in f["message"] for f in found)
