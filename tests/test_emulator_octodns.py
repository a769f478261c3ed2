"""octoDNS's ``octodns-cloudflare`` provider (plain ``requests``, one call per record, ``pagerules``) against
the emulator: create, converge to an empty plan, update and delete. Skipped unless the ``bench`` extra is
installed."""

from __future__ import annotations

import pytest

octodns_cloudflare = pytest.importorskip("octodns_cloudflare")

from octodns.record import Record  # noqa: E402
from octodns.zone import Zone  # noqa: E402

RECORDS = {
    "": [
        {"type": "MX", "ttl": 300, "values": [{"preference": 10, "exchange": "mail.example.com."}]},
        {"type": "TXT", "ttl": 300, "values": ["v=spf1 mx -all"]},
        {"type": "CAA", "ttl": 300, "values": [{"flags": 0, "tag": "issue", "value": "letsencrypt.org"}]},
    ],
    "www": [{"type": "A", "ttl": 300, "values": ["192.0.2.1", "192.0.2.2"]}],
    "alias": [{"type": "CNAME", "ttl": 300, "value": "www.example.com."}],
    "_sip._tcp": [
        {
            "type": "SRV",
            "ttl": 300,
            "values": [{"priority": 10, "weight": 5, "port": 5060, "target": "sip.example.com."}],
        }
    ],
}


def desired(records: dict) -> Zone:
    zone = Zone("example.com.", [])
    for name, items in records.items():
        for data in items:
            zone.add_record(Record.new(zone, name, data))
    return zone


def provider(emu):
    return octodns_cloudflare.CloudflareProvider("cf", token="test-token", api_url=emu.url, retry_period=0)


def test_octodns_round_trip(emulator):
    plan = provider(emulator).plan(desired(RECORDS))
    assert len(plan.changes) == 6
    provider(emulator).apply(plan)
    assert len(emulator.records("example.com")) == 7
    assert provider(emulator).plan(desired(RECORDS)) is None  # converged

    changed = {k: v for k, v in RECORDS.items() if k != "alias"}
    changed["www"] = [{"type": "A", "ttl": 600, "values": ["192.0.2.1", "192.0.2.9"]}]
    plan = provider(emulator).plan(desired(changed))
    provider(emulator).apply(plan)
    assert provider(emulator).plan(desired(changed)) is None
    www = sorted(r["content"] for r in emulator.records("example.com") if r["name"] == "www.example.com")
    assert www == ["192.0.2.1", "192.0.2.9"]
    routes = emulator.stats()["by_route"]
    assert routes["GET /zones/:id/pagerules"] >= 1 and routes["DELETE /zones/:id/dns_records/:id"] >= 1
