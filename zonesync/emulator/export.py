"""``GET /zones/{zone_id}/dns_records/export``: the zone as Cloudflare's BIND export writes it.

The SDK's ``dns.records.export`` sends ``Accept: text/plain`` and takes the body as the file (no JSON
envelope). The layout follows the files Cloudflare's export produces (docs "Import and export records",
``dns/manage-dns-records/how-to/import-and-export``, and exports quoted in public repositories):

* a ``;;`` header naming the domain and the export time (UTC, ``YYYY-MM-DD HH:MM:SS``), and the warning that
  the file must be edited before a production server uses it;
* ``;; SOA Record``: the SOA Cloudflare serves, its owner written without the final dot (as the real export
  writes it: that is one of the edits the warning asks for), then ``;; NS Records`` with the zone's
  Cloudflare nameservers, then one ``;; <TYPE> Records`` section per record type present, types in
  alphabetical order, records in the zone's order;
* each record ``<fqdn>.<TAB><ttl><TAB>IN<TAB><TYPE><TAB><rdata>``: TTL as stored (1 is "automatic"),
  names in the rdata fully qualified, TXT as quoted strings of at most 255 bytes;
* the **origin** values of proxied records (never the proxy addresses: the export is the API's view), each
  proxiable record (A, AAAA, CNAME) followed by ``; cf_tags=cf-proxied:true|false``; a record's comment and
  tags go in the same inline comment, as the docs' "DNS record attributes" table describes
  (``; <comment> cf_tags=<tag>:<value>,...``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from .dns_server import NS_TTL, SERIAL_BASE, SOA_TIMERS, SOA_TTL, _rdata_text
from .records import PROXIABLE
from .store import NAME_SERVERS

if TYPE_CHECKING:
    from .store import Zone

HEADER = """\
;;
;; Domain:     {domain}.
;; Exported:   {when}
;;
;; This file is intended for use for informational and archival
;; purposes ONLY and MUST be edited before use on a production
;; DNS server.  In particular, you must:
;;   -- update the SOA record with the correct authoritative name server
;;   -- update the SOA record with the contact e-mail address information
;;   -- update the NS record(s) with the authoritative name servers for this domain.
;;
;; For further information, please consult the BIND documentation
;; located on the following website:
;;
;; http://www.isc.org/
;;
;; And RFC 1035:
;;
;; http://www.ietf.org/rfc/rfc1035.txt
;;
;; Please note that we do NOT offer technical support for any use
;; of this zone data, the BIND name server, or any other third-party
;; DNS software.
;;
;; Use at your own risk.
"""

_PLAIN_TAG_VALUE = re.compile(r'[^",=\\]*')


def _tag(tag: str) -> str:
    """One tag as the docs write it: ``name:value``, the value a JSON string when it holds `"`, `,`, `=`
    or a backslash."""
    name, _, value = tag.partition(":")
    if _PLAIN_TAG_VALUE.fullmatch(value):
        return f"{name}:{value}"
    return f"{name}:{json.dumps(value)}"


def _attributes(rec: dict[str, Any]) -> str:
    """The inline comment after a record: its comment, then ``cf_tags=`` (proxy status first, then tags)."""
    tags = [f"cf-proxied:{'true' if rec.get('proxied') else 'false'}"] if rec["type"] in PROXIABLE else []
    tags += [_tag(t) for t in rec.get("tags") or ()]
    parts = [" ".join(str(rec.get("comment") or "").split())] if rec.get("comment") else []
    if tags:
        parts.append("cf_tags=" + ",".join(tags))
    return " ; " + " ".join(parts) if parts else ""


def _rdata(rec: dict[str, Any]) -> str:
    """The record's rdata in presentation form, names fully qualified."""
    rd = dns.rdata.from_text(
        dns.rdataclass.IN,
        dns.rdatatype.from_text(rec["type"]),
        _rdata_text(rec),
        origin=dns.name.root,
        relativize=False,
    )
    return rd.to_text()


def export_zone(zone: Zone, when: datetime | None = None) -> str:
    """The BIND file of ``zone`` (call with the store's lock held)."""
    stamp = (when or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S")
    soa = f"{NAME_SERVERS[0]}. dns.cloudflare.com. {SERIAL_BASE + zone.version} " + " ".join(
        map(str, SOA_TIMERS)
    )
    out = [HEADER.format(domain=zone.name, when=stamp), ";; SOA Record\n"]
    out.append(f"{zone.name}\t{SOA_TTL}\tIN\tSOA\t{soa}\n")
    out.append("\n;; NS Records\n")
    out.extend(f"{zone.name}.\t{NS_TTL}\tIN\tNS\t{ns}.\n" for ns in NAME_SERVERS)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for rec in zone.records.values():
        by_type.setdefault(rec["type"], []).append(rec)
    out.extend(_line(rec) for rec in by_type.pop("NS", ()))  # delegations join the apex's NS section
    for rtype in sorted(by_type):
        out.append(f"\n;; {rtype} Records\n")
        out.extend(_line(rec) for rec in by_type[rtype])
    return "".join(out)


def _line(rec: dict[str, Any]) -> str:
    return f"{rec['name']}.\t{rec['ttl']}\tIN\t{rec['type']}\t{_rdata(rec)}{_attributes(rec)}\n"
