"""Is the zone's DS still at its parent? (An I/O edge: one DNS question, before a plan disables DNSSEC.)

The question goes to the system's resolvers (/etc/resolv.conf), or to ZONESYNC_PARENT_RESOLVER
(`HOST[:PORT]`, comma-separated) where those do not see the public DNS (a CI runner's, a test's). A DS in
the answer: "present"; NOERROR without one, or NXDOMAIN: "absent"; no answer, SERVFAIL (what a validating
resolver says of a zone whose DS no longer matches), anything else: "unknown", which apply treats as present.
"""

from __future__ import annotations

import os

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from zonesync.plan.dnssec import ParentDs

RESOLVER_ENV = "ZONESYNC_PARENT_RESOLVER"
TIMEOUT = 3.0


def resolvers() -> list[tuple[str, int]]:
    """ZONESYNC_PARENT_RESOLVER's servers, else the system's. Raises ValueError for a malformed variable."""
    configured = os.environ.get(RESOLVER_ENV, "").strip()
    if configured:
        out = []
        for item in configured.split(","):
            host, sep, port = item.strip().rpartition(":")
            if not sep or ":" in host:  # no port, or an IPv6 address without one
                host, port = item.strip(), "53"
            if not port.isdigit() or not 0 < int(port) < 65536 or not host:
                raise ValueError(f"{RESOLVER_ENV}: {item.strip()[:60]!r} is not HOST[:PORT]")
            out.append((host.strip("[]"), int(port)))
        return out
    import dns.resolver

    try:
        return [(str(ns), 53) for ns in dns.resolver.Resolver().nameservers]
    except dns.exception.DNSException:
        return []


def lookup(zone: str, timeout: float = TIMEOUT) -> tuple[ParentDs, str]:
    """("present" | "absent" | "unknown", how it was found out, one line)."""
    try:
        servers = resolvers()
    except ValueError as exc:
        return "unknown", str(exc)
    name = dns.name.from_text(zone)
    reasons = []
    for host, port in servers:
        query = dns.message.make_query(name, dns.rdatatype.DS, want_dnssec=True)
        query.flags |= dns.flags.AD
        try:
            response = dns.query.udp(query, host, port=port, timeout=timeout)
            if response.flags & dns.flags.TC:
                response = dns.query.tcp(query, host, port=port, timeout=timeout)
        except (dns.exception.DNSException, OSError) as exc:
            reasons.append(f"{host}: {type(exc).__name__}")
            continue
        where = f"asked {host}" + (f":{port}" if port != 53 else "")
        rcode = response.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            return "absent", f"{where}: {zone} does not exist at the parent"
        if rcode != dns.rcode.NOERROR:
            reasons.append(f"{host}: {dns.rcode.to_text(rcode)}")
            continue
        found = [r for r in response.answer if r.rdtype == dns.rdatatype.DS and r.name == name]
        if found:
            return "present", f"{where}: the parent still publishes a DS for {zone}"
        return "absent", f"{where}: the parent publishes no DS for {zone}"
    return "unknown", "could not ask the parent for the DS (" + (", ".join(reasons) or "no resolver") + ")"
