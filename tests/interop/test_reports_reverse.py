"""`zonesync reports --reverse-dns` against real DNS servers: Knot DNS serves reverse zones for the report
fixtures' source addresses (IPv4 and IPv6), unbound resolves through it, and the reverse names the reports
show are the PTR names Knot holds; an address without a PTR record keeps its address only, and a resolver
that does not answer costs at most the bounded wait and names nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import dns.reversename
from harness import free_port, zonesync
from servers import knot, unbound

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
ZONE = "mail.example"

PTRS = {
    "203.0.113.25": "mx.mail.example.",
    "198.51.100.23": "outbound.relay.example.",
    "2001:db8::25": "mx6.mail.example.",
}
"""Source addresses of the fixtures and their reverse names; 203.0.113.26 and the rest have none."""

REVERSE_ZONES = ("113.0.203.in-addr.arpa", "100.51.198.in-addr.arpa", "8.b.d.0.1.0.0.2.ip6.arpa")


def reverse_zone(zone: str) -> str:
    """A zone file for Knot: SOA, NS, and the PTR records of PTRS that fall in `zone`."""
    lines = [
        f"$ORIGIN {zone}.",
        "$TTL 300",
        "@ SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 300",
        "@ NS ns.example.net.",
    ]
    for address, name in PTRS.items():
        owner = dns.reversename.from_address(address).to_text()
        if owner.endswith(f".{zone}."):
            lines.append(f"{owner} PTR {name}")
    return "\n".join(lines) + "\n"


def sources(output: str) -> dict[str, str | None]:
    doc = json.loads(output)
    (domain,) = doc["domains"]
    return {s["ip"]: s["reverse"] for s in domain["sources"]}


def test_reverse_names_come_from_a_real_resolver(tmp_path: Path, needs) -> None:
    needs("knot", "unbound")
    zones = {zone: reverse_zone(zone) for zone in REVERSE_ZONES}
    with (
        knot(tmp_path / "knot", zones) as knot_port,
        unbound(tmp_path / "unbound", dict.fromkeys(REVERSE_ZONES, knot_port)) as resolver,
    ):
        plain = zonesync("reports", "-z", ZONE, "--format", "json", FIXTURES)
        named = zonesync(
            "reports", "-z", ZONE, "--format", "json", "--reverse-dns",
            "--nameserver", f"127.0.0.1:{resolver}", FIXTURES,
        )  # fmt: skip
        text = zonesync(
            "reports", "-z", ZONE, "--reverse-dns", "--nameserver", f"127.0.0.1:{resolver}", FIXTURES
        )
    assert plain.returncode in (0, 5) and named.returncode == plain.returncode, named.stderr
    without, with_names = sources(plain.stdout), sources(named.stdout)
    assert set(without) == set(with_names)  # the same sources, the same counts: only names are added
    assert all(name is None for name in without.values())
    for address, name in PTRS.items():
        assert with_names[address] == name.rstrip("."), address
    unnamed = set(with_names) - set(PTRS)
    assert unnamed and all(with_names[a] is None for a in unnamed)  # no PTR: the address alone
    assert "203.0.113.25 (mx.mail.example)" in text.stdout


def test_a_resolver_that_never_answers_costs_the_bounded_wait(tmp_path: Path, needs) -> None:
    needs("knot")  # the same layer; nothing listens on the port asked
    silent = free_port()
    started = time.monotonic()
    result = zonesync(
        "reports", "-z", ZONE, "--format", "json", "--reverse-dns",
        "--nameserver", f"127.0.0.1:{silent}", "--timeout", "0.5", FIXTURES,
    )  # fmt: skip
    took = time.monotonic() - started
    assert result.returncode in (0, 5), result.stderr
    assert all(name is None for name in sources(result.stdout).values())
    assert took < 0.5 * 3 + 5  # three timeouts at most, plus the command's own start and reading
