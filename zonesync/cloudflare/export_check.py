"""Cloudflare's BIND export of a zone, checked before zonesync passes it on (`zonesync export`).

The export (`GET /zones/{zone_id}/dns_records/export`, Cloudflare docs "Import and export records") is a
zone file with `;;` comment lines, one record a line, each proxiable record followed by
`; cf_tags=cf-proxied:true|false`. Its SOA line names the zone without the final dot, which a zone-file
reader takes as relative to the origin; Cloudflare's header says the file must be edited before a server
loads it. zonesync passes the file on as Cloudflare wrote it, once it is known to be one: text without
control characters, every line a record of this zone (or a comment), exactly one SOA, at the apex.
"""

from __future__ import annotations

import re

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zonefile

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SOA_LINE = re.compile(r"(\S+)\s+(\d+)\s+IN\s+SOA\s+([^;]*?)\s*(;.*)?", re.IGNORECASE)


class ExportError(ValueError):
    """The text is not a BIND export of the zone (the message says where and why, in one line)."""


def _escaped(text: str) -> str:
    return repr(text)[1:-1]


def check_export(text: str, zone: str) -> str:
    """Return `text` when it is a BIND export of `zone` (one record a line, `;` comments); raise
    ExportError naming the line otherwise."""
    bad = _CONTROL.search(text.replace("\r\n", "\n"))
    if bad is not None:
        at = text.count("\n", 0, bad.start()) + 1
        raise ExportError(f"line {at}: a control character ({_escaped(bad.group())})")
    origin = dns.name.from_text(zone)
    lines = text.split("\n")
    soa_lines = []
    for number, line in enumerate(lines, 1):
        match = _SOA_LINE.fullmatch(line.strip())
        if match is None:
            continue
        soa_lines.append(number)
        owner = dns.name.from_text(match.group(1), dns.name.root)  # written without the final dot
        if owner != origin:
            raise ExportError(f"line {number}: the SOA record is not at {zone}")
        try:
            dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, match.group(3), dns.name.root)
        except dns.exception.DNSException as exc:
            raise ExportError(f"line {number}: {_escaped(str(exc))}") from None
        lines[number - 1] = ";"  # read above: the reader below would take its owner as relative
    if len(soa_lines) != 1:
        raise ExportError(f"{len(soa_lines)} SOA records (an export has one)")
    try:
        rrsets = _read(lines)
    except ExportError:
        # dnspython counts lines as far as it has read (often one past the record): read them one by one
        # to name the right one
        for number, line in enumerate(lines, 1):
            _read([line], number)
        raise
    for rrset in rrsets:
        if not rrset.name.is_subdomain(origin):
            raise ExportError(f"a record outside the zone: {_escaped(rrset.name.to_text())}")
    return text


def _read(lines: list[str], number: int = 0) -> list[dns.rrset.RRset]:
    """The records of `lines` (names relative to the root: the export writes them fully qualified)."""
    try:
        return dns.zonefile.read_rrsets("\n".join(lines), origin=dns.name.root, rdclass=None)
    except (dns.exception.DNSException, ValueError) as exc:
        message = str(exc).removeprefix("<input>:")
        if number:
            message = (
                f"{number}:{message.split(':', 1)[-1]}" if message[:1].isdigit() else f"{number}: {message}"
            )
        raise ExportError(f"line {_escaped(message)}") from None
