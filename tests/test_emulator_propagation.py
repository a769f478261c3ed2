"""The emulator's propagation delay: its nameserver serves an API change only `propagation_delay` seconds
after it was made (Cloudflare: usually seconds; docs/cloudflare-api-facts.md D5), the SOA serial with it."""

from __future__ import annotations

import time

import dns.message
import dns.query
import dns.rcode
import pytest
from click.testing import CliRunner

from zonesync.emulator.dns_server import SERIAL_BASE
from zonesync.emulator.server import Emulator


def _ask(emu: Emulator, name: str, rdtype: str) -> dns.message.Message:
    assert emu.dns is not None
    return dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=emu.dns.port, timeout=2)


def _values(resp: dns.message.Message) -> list[str]:
    return [rd.to_text() for rrset in resp.answer for rd in rrset]


@pytest.fixture
def slow():
    emu = Emulator(zones=("example.com",), rate_limit=0, dns_port=0, propagation_delay=0.6).start()
    try:
        yield emu
    finally:
        emu.stop()


def test_a_change_is_served_only_after_the_delay(slow: Emulator) -> None:
    serial_before = _values(_ask(slow, "example.com", "SOA"))[0].split()[2]
    slow.add_record("example.com", {"type": "A", "name": "www", "content": "192.0.2.7", "ttl": 1})
    made = time.monotonic()
    early = _ask(slow, "www.example.com", "A")
    assert time.monotonic() - made < 0.5  # asked well within the delay
    assert early.rcode() == dns.rcode.NXDOMAIN
    assert _values(_ask(slow, "example.com", "SOA"))[0].split()[2] == serial_before
    time.sleep(0.9)
    late = _ask(slow, "www.example.com", "A")
    assert _values(late) == ["192.0.2.7"]
    assert int(_values(_ask(slow, "example.com", "SOA"))[0].split()[2]) == SERIAL_BASE + 1


def test_a_deletion_is_served_late_too(slow: Emulator) -> None:
    rec = slow.add_record("example.com", {"type": "TXT", "name": "@", "content": "hello", "ttl": 1})
    time.sleep(0.9)
    assert _values(_ask(slow, "example.com", "TXT")) == ['"hello"']
    slow.store.delete(slow.store.zone_by_name["example.com"], rec["id"])
    assert _values(_ask(slow, "example.com", "TXT")) == ['"hello"']
    time.sleep(0.9)
    assert _values(_ask(slow, "example.com", "TXT")) == []


def test_without_the_knob_a_change_is_served_at_once() -> None:
    emu = Emulator(zones=("example.com",), rate_limit=0, dns_port=0).start()
    try:
        emu.add_record("example.com", {"type": "A", "name": "www", "content": "192.0.2.7", "ttl": 1})
        assert _values(_ask(emu, "www.example.com", "A")) == ["192.0.2.7"]
    finally:
        emu.stop()


def test_the_cli_option_is_offered() -> None:
    from zonesync.cli import cli

    result = CliRunner().invoke(cli, ["emulator", "--help"])
    assert "--propagation-delay" in result.output
    bad = CliRunner().invoke(cli, ["emulator", "--token", "t", "--propagation-delay", "-1"])
    assert bad.exit_code != 0 and "--propagation-delay" in bad.output
